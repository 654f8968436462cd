// Defaulting as the real API server does it for the fields clients read back. Pod templates of
// Deployments and ReplicaSets go through the same function, so helm's template comparison holds.
import type { KubeObject } from '../contract.ts';

type Obj = Record<string, unknown>;
const obj = (parent: Obj, key: string): Obj => {
  if (!parent[key] || typeof parent[key] !== 'object') parent[key] = {};
  return parent[key] as Obj;
};
const setDefault = (target: Obj, key: string, value: unknown) => {
  if (target[key] === undefined || target[key] === null) target[key] = value;
};

function defaultContainer(c: Obj): void {
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  const image = String(c.image ?? '');
  const tag = image.includes('@') ? 'digest' : (image.split('/').pop()?.split(':')[1] ?? '');
  setDefault(c, 'imagePullPolicy', tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent');
  setDefault(c, 'resources', {});
  for (const port of (c.ports ?? []) as Obj[]) setDefault(port, 'protocol', 'TCP');
  for (const probeKey of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const probe = c[probeKey] as Obj | undefined;
    if (!probe) continue;
    setDefault(probe, 'timeoutSeconds', 1);
    setDefault(probe, 'periodSeconds', 10);
    setDefault(probe, 'successThreshold', 1);
    setDefault(probe, 'failureThreshold', 3);
    const http = probe.httpGet as Obj | undefined;
    if (http) {
      setDefault(http, 'path', '/');
      setDefault(http, 'scheme', 'HTTP');
    }
  }
}

export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    for (const c of (spec[key] ?? []) as Obj[]) defaultContainer(c);
  }
  for (const v of (spec.volumes ?? []) as Obj[]) {
    for (const source of ['configMap', 'secret']) {
      const s = v[source] as Obj | undefined;
      if (s) setDefault(s, 'defaultMode', 420);
    }
  }
}

function defaultTemplate(spec: Obj): void {
  const template = obj(spec, 'template');
  obj(template, 'metadata');
  defaultPodSpec(obj(template, 'spec'));
}

/** Applies defaults in place. `allocateIP` is the node's Service IP allocator. */
export function applyDefaults(
  kind: string,
  group: string,
  object: KubeObject,
  old: KubeObject | undefined,
  allocateIP: () => string,
): void {
  const spec = obj(object as Obj, 'spec');
  switch (`${group}/${kind}`) {
    case '/Pod': {
      defaultPodSpec(spec);
      setDefault(spec, 'serviceAccountName', 'default');
      setDefault(spec, 'enableServiceLinks', true);
      setDefault(spec, 'priority', 0);
      if (!old) object.status = { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    }
    case 'apps/Deployment': {
      setDefault(spec, 'replicas', 1);
      const strategy = obj(spec, 'strategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') {
        const ru = obj(strategy, 'rollingUpdate');
        setDefault(ru, 'maxSurge', '25%');
        setDefault(ru, 'maxUnavailable', '25%');
      }
      setDefault(spec, 'revisionHistoryLimit', 10);
      setDefault(spec, 'progressDeadlineSeconds', 600);
      defaultTemplate(spec);
      break;
    }
    case 'apps/ReplicaSet':
      setDefault(spec, 'replicas', 1);
      defaultTemplate(spec);
      break;
    case 'apps/StatefulSet': {
      setDefault(spec, 'replicas', 1);
      setDefault(spec, 'podManagementPolicy', 'OrderedReady');
      const strategy = obj(spec, 'updateStrategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') setDefault(obj(strategy, 'rollingUpdate'), 'partition', 0);
      setDefault(spec, 'revisionHistoryLimit', 10);
      setDefault(spec, 'persistentVolumeClaimRetentionPolicy', { whenDeleted: 'Retain', whenScaled: 'Retain' });
      defaultTemplate(spec);
      break;
    }
    case 'apps/DaemonSet': {
      const strategy = obj(spec, 'updateStrategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') {
        const ru = obj(strategy, 'rollingUpdate');
        setDefault(ru, 'maxUnavailable', 1);
        setDefault(ru, 'maxSurge', 0);
      }
      setDefault(spec, 'revisionHistoryLimit', 10);
      defaultTemplate(spec);
      break;
    }
    case 'batch/Job': {
      setDefault(spec, 'parallelism', 1);
      setDefault(spec, 'completions', 1);
      setDefault(spec, 'backoffLimit', 6);
      setDefault(spec, 'completionMode', 'NonIndexed');
      setDefault(spec, 'suspend', false);
      setDefault(spec, 'podReplacementPolicy', 'TerminatingOrFailed');
      defaultTemplate(spec);
      if (!spec.manualSelector && object.metadata.uid) {
        const uid = old?.metadata.uid ?? object.metadata.uid;
        const ids = {
          'batch.kubernetes.io/controller-uid': uid,
          'batch.kubernetes.io/job-name': object.metadata.name!,
          'controller-uid': uid,
          'job-name': object.metadata.name!,
        };
        setDefault(spec, 'selector', { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
        const tmeta = obj(obj(spec, 'template'), 'metadata');
        tmeta.labels = { ...((tmeta.labels as Obj) ?? {}), ...ids };
      }
      break;
    }
    case 'batch/CronJob': {
      setDefault(spec, 'concurrencyPolicy', 'Allow');
      setDefault(spec, 'suspend', false);
      setDefault(spec, 'successfulJobsHistoryLimit', 3);
      setDefault(spec, 'failedJobsHistoryLimit', 1);
      const jobSpec = obj(obj(spec, 'jobTemplate'), 'spec');
      setDefault(jobSpec, 'backoffLimit', 6);
      defaultTemplate(jobSpec);
      break;
    }
    case '/Service': {
      setDefault(spec, 'type', 'ClusterIP');
      setDefault(spec, 'sessionAffinity', 'None');
      if (spec.type !== 'ExternalName') {
        const oldIP = (old?.spec as Obj | undefined)?.clusterIP;
        if (!spec.clusterIP && oldIP) spec.clusterIP = oldIP;
        if (!spec.clusterIP) spec.clusterIP = allocateIP();
        spec.clusterIPs = [spec.clusterIP];
        setDefault(spec, 'ipFamilies', ['IPv4']);
        setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
        setDefault(spec, 'internalTrafficPolicy', 'Cluster');
      }
      const oldPorts = ((old?.spec as Obj | undefined)?.ports ?? []) as Obj[];
      let nextNodePort = 30000 + Math.floor(Math.random() * 2000);
      for (const port of (spec.ports ?? []) as Obj[]) {
        setDefault(port, 'protocol', 'TCP');
        setDefault(port, 'targetPort', port.port);
        if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && !port.nodePort) {
          port.nodePort = oldPorts.find((p) => p.port === port.port)?.nodePort ?? nextNodePort++;
        }
      }
      if (spec.type === 'LoadBalancer') setDefault(object as Obj, 'status', { loadBalancer: {} });
      break;
    }
    case '/Namespace': {
      if (!old) {
        spec.finalizers ??= ['kubernetes'];
        object.status = { phase: 'Active' };
      }
      object.metadata.labels = { ...object.metadata.labels, 'kubernetes.io/metadata.name': object.metadata.name! };
      break;
    }
    case '/Secret': {
      delete (object as Obj).spec;
      setDefault(object as Obj, 'type', 'Opaque');
      const stringData = (object as Obj).stringData as Record<string, string> | undefined;
      if (stringData) {
        const data = obj(object as Obj, 'data');
        for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(v).toString('base64');
        delete (object as Obj).stringData;
      }
      break;
    }
    case '/PersistentVolumeClaim': {
      setDefault(spec, 'volumeMode', 'Filesystem');
      setDefault(spec, 'storageClassName', 'standard');
      // No provisioner: the kubelet keeps a directory per claim, so every claim is bound at once.
      const requests = ((spec.resources as Obj | undefined)?.requests ?? {}) as Obj;
      object.status = {
        phase: 'Bound',
        accessModes: spec.accessModes,
        capacity: { storage: requests.storage ?? '1Gi' },
      };
      if (!spec.volumeName) spec.volumeName = `pvc-${object.metadata.uid}`;
      break;
    }
    case 'autoscaling/HorizontalPodAutoscaler': {
      // autoscaling/v2 defaulting (objects are stored as v2): one replica at least, 80% CPU
      setDefault(spec, 'minReplicas', 1);
      if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
        spec.metrics = [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
        ];
      }
      break;
    }
    case 'apiextensions.k8s.io/CustomResourceDefinition': {
      const names = (spec.names ?? {}) as Obj;
      object.status = {
        acceptedNames: names,
        storedVersions: ((spec.versions ?? []) as Obj[]).filter((v) => v.storage).map((v) => v.name),
        conditions: [
          { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
          {
            type: 'Established',
            status: 'True',
            reason: 'InitialNamesAccepted',
            message: 'the initial names have been accepted',
          },
        ].map((c) => ({ ...c, lastTransitionTime: object.metadata.creationTimestamp })),
      };
      break;
    }
    default:
      if (Object.keys(spec).length === 0 && !old?.spec) delete (object as Obj).spec;
  }
}
