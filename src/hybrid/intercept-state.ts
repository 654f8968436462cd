// What an intercept changes, and how it is undone: recorded in the change journal
// (kube/journal.ts) before the agent is created, and, once the Service is switched over, in an
// annotation on the Service (so another kloop sees it is intercepted). Ctrl-C, the next run after
// a crash or kill -9, and purge put the Service's selector back and delete the agent pod, its
// ConfigMap and the shadow Service through the journal.
import { annotationPath, pointer, type RecordInput } from '../kube/journal.ts';

export const ORIGINAL_ANNOTATION = 'kloop.dev/intercept-original';
export const INTERCEPT_LABEL = 'kloop.dev/intercept';
/** The journal's kind for intercepts. */
export const INTERCEPT = 'intercept';

export interface InterceptChange {
  namespace: string;
  service: string;
  originalSelector: Record<string, string>;
  /** names of the objects the intercept creates (pod, ConfigMap, shadow Service) */
  agent: string;
  shadow: string;
  /** the app and dev target intercepted (purge of the app undoes it) */
  app?: string;
  target?: string;
}

/** The journal record of an intercept: the undo plan is data, computed before anything changes. */
export function interceptRecord(c: InterceptChange): RecordInput {
  const ns = `/api/v1/namespaces/${encodeURIComponent(c.namespace)}`;
  const svcPath = `${ns}/services/${encodeURIComponent(c.service)}`;
  return {
    kind: INTERCEPT,
    key: `${c.namespace}/${c.service}`,
    app: c.app,
    target: c.target,
    describe: `Service ${c.service} in ${c.namespace}`,
    changed: 'intercepted',
    undo: {
      patches: [
        // only a selector that still carries the agent's key is put back: alone, or merged with the
        // keys a redeploy or a GitOps controller applied over it (which leaves it selecting no pod);
        // a selector replaced without that key is someone else's now
        {
          path: svcPath,
          ops: [
            { op: 'test', path: `/spec/selector/${pointer(INTERCEPT_LABEL)}`, value: c.service },
            { op: 'replace', path: '/spec/selector', value: c.originalSelector },
          ],
        },
        {
          path: svcPath,
          ops: [
            { op: 'test', path: annotationPath(ORIGINAL_ANNOTATION), value: JSON.stringify(c.originalSelector) },
            { op: 'remove', path: annotationPath(ORIGINAL_ANNOTATION) },
          ],
        },
      ],
      delete: [
        { path: `${ns}/pods/${encodeURIComponent(c.agent)}` },
        { path: `${ns}/configmaps/${encodeURIComponent(c.agent)}` },
        { path: `${ns}/services/${encodeURIComponent(c.shadow)}` },
      ],
    },
    data: c,
  };
}
