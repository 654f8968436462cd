// The labels kloop puts on everything it applies. They help people and selectors find objects;
// they never decide what purge deletes (the inventory does).
import type { Project } from '../config/project.ts';
import type { KubeObject } from '../kube/types.ts';

export const LABEL_PROJECT = 'kloop.dev/project';
export const LABEL_APP = 'kloop.dev/app';
export const LABEL_ENVIRONMENT = 'kloop.dev/environment';

/** The environment name in labels and the inventory name when no --env is given. */
export const LOCAL_ENVIRONMENT = 'local';

export function environmentName(project: Project): string {
  return project.environment?.name ?? LOCAL_ENVIRONMENT;
}

/** A copy of the object with kloop's labels (the rendered object is not modified). */
export function withKloopLabels(obj: KubeObject, project: string, app: string, environment: string): KubeObject {
  const copy = structuredClone(obj);
  copy.metadata = {
    ...copy.metadata,
    labels: {
      ...(copy.metadata.labels ?? {}),
      [LABEL_PROJECT]: project,
      [LABEL_APP]: app,
      [LABEL_ENVIRONMENT]: environment,
    },
  };
  return copy;
}

export function appSelector(project: string, app: string, environment: string): string {
  return `${LABEL_PROJECT}=${project},${LABEL_APP}=${app},${LABEL_ENVIRONMENT}=${environment}`;
}

export function projectSelector(project: string, environment: string): string {
  return `${LABEL_PROJECT}=${project},${LABEL_ENVIRONMENT}=${environment}`;
}
