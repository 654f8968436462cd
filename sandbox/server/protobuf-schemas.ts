// Field numbers of the protobuf messages the sandbox decodes (k8s.io/api generated.proto),
// checked against bodies kubectl 1.32 and helm 3.17 send. Fields not listed here make the body
// a 415, rather than being dropped silently.

/**
 * 'int0' is an int whose zero is meaningful (a pointer field, present only when set), 'skip' a
 * field ignored entirely (status), 'intOrString' and 'quantity' the apimachinery wrappers.
 */
export type Type =
  | 'string'
  | 'bytes'
  | 'int'
  | 'int0'
  | 'bool'
  | 'time'
  | 'skip'
  | 'intOrString'
  | 'quantity'
  | Schema
  | { map: 'string' | 'bytes' | 'quantity' }
  | { repeated: Type }
  /** an embedded Go struct (`json:",inline"`): its fields appear in the parent's JSON */
  | { inline: Schema };
export type Schema = { [field: number]: [string, Type] };

const time: Type = 'time';
const ownerReference: Schema = {
  1: ['kind', 'string'],
  3: ['name', 'string'],
  4: ['uid', 'string'],
  5: ['apiVersion', 'string'],
  6: ['controller', 'bool'],
  7: ['blockOwnerDeletion', 'bool'],
};
const objectMeta: Schema = {
  1: ['name', 'string'],
  2: ['generateName', 'string'],
  3: ['namespace', 'string'],
  5: ['uid', 'string'],
  6: ['resourceVersion', 'string'],
  7: ['generation', 'int'],
  8: ['creationTimestamp', time],
  9: ['deletionTimestamp', time],
  10: ['deletionGracePeriodSeconds', 'int0'],
  11: ['labels', { map: 'string' }],
  12: ['annotations', { map: 'string' }],
  13: ['ownerReferences', { repeated: ownerReference }],
  14: ['finalizers', { repeated: 'string' }],
};

export const kinds: Record<string, Schema> = {
  'v1/Secret': {
    1: ['metadata', objectMeta],
    2: ['data', { map: 'bytes' }],
    3: ['type', 'string'],
    4: ['stringData', { map: 'string' }],
    5: ['immutable', 'bool'],
  },
  'v1/ConfigMap': {
    1: ['metadata', objectMeta],
    2: ['data', { map: 'string' }],
    3: ['binaryData', { map: 'bytes' }],
    4: ['immutable', 'bool'],
  },
  'v1/Namespace': {
    1: ['metadata', objectMeta],
    2: ['spec', { 1: ['finalizers', { repeated: 'string' }] }],
    3: ['status', { 1: ['phase', 'string'] }],
  },
  'v1/ServiceAccount': {
    1: ['metadata', objectMeta],
    2: ['secrets', { repeated: { 1: ['kind', 'string'], 2: ['namespace', 'string'], 3: ['name', 'string'] } }],
    3: ['imagePullSecrets', { repeated: { 1: ['name', 'string'] } }],
    4: ['automountServiceAccountToken', 'bool'],
  },
  'v1/DeleteOptions': {
    1: ['gracePeriodSeconds', 'int0'],
    2: ['preconditions', { 1: ['uid', 'string'], 2: ['resourceVersion', 'string'] }],
    3: ['orphanDependents', 'bool'],
    4: ['propagationPolicy', 'string'],
    5: ['dryRun', { repeated: 'string' }],
  },
};
kinds['meta.k8s.io/v1/DeleteOptions'] = kinds['v1/DeleteOptions']!;

const labelSelector: Schema = {
  1: ['matchLabels', { map: 'string' }],
  2: [
    'matchExpressions',
    { repeated: { 1: ['key', 'string'], 2: ['operator', 'string'], 3: ['values', { repeated: 'string' }] } },
  ],
};
const container: Schema = {
  1: ['name', 'string'],
  2: ['image', 'string'],
  3: ['command', { repeated: 'string' }],
  4: ['args', { repeated: 'string' }],
  5: ['workingDir', 'string'],
  6: [
    'ports',
    {
      repeated: {
        1: ['name', 'string'],
        2: ['hostPort', 'int'],
        3: ['containerPort', 'int'],
        4: ['protocol', 'string'],
        5: ['hostIP', 'string'],
      },
    },
  ],
  7: ['env', { repeated: { 1: ['name', 'string'], 2: ['value', 'string'] } }],
  8: ['resources', { 1: ['limits', { map: 'quantity' }], 2: ['requests', { map: 'quantity' }] }],
  13: ['terminationMessagePath', 'string'],
  14: ['imagePullPolicy', 'string'],
  16: ['stdin', 'bool'],
  17: ['stdinOnce', 'bool'],
  18: ['tty', 'bool'],
  20: ['terminationMessagePolicy', 'string'],
};
const podTemplate: Schema = {
  1: ['metadata', objectMeta],
  2: [
    'spec',
    {
      2: ['containers', { repeated: container }],
      3: ['restartPolicy', 'string'],
      4: ['terminationGracePeriodSeconds', 'int0'],
      6: ['dnsPolicy', 'string'],
      7: ['nodeSelector', { map: 'string' }],
      8: ['serviceAccountName', 'string'],
      9: ['serviceAccount', 'string'],
      10: ['nodeName', 'string'],
      11: ['hostNetwork', 'bool'],
      12: ['hostPID', 'bool'],
      13: ['hostIPC', 'bool'],
      16: ['hostname', 'string'],
      17: ['subdomain', 'string'],
      19: ['schedulerName', 'string'],
      20: ['initContainers', { repeated: container }],
      24: ['priorityClassName', 'string'],
    },
  ],
};
const jobSpec: Schema = {
  1: ['parallelism', 'int0'],
  2: ['completions', 'int0'],
  3: ['activeDeadlineSeconds', 'int0'],
  4: ['selector', labelSelector],
  5: ['manualSelector', 'bool'],
  6: ['template', podTemplate],
  7: ['backoffLimit', 'int0'],
  8: ['ttlSecondsAfterFinished', 'int0'],
  9: ['completionMode', 'string'],
  10: ['suspend', 'bool'],
};

// What `kubectl create deployment|service|job|cronjob` and `kubectl expose` send.
kinds['apps/v1/Deployment'] = {
  1: ['metadata', objectMeta],
  2: [
    'spec',
    {
      1: ['replicas', 'int0'],
      2: ['selector', labelSelector],
      3: ['template', podTemplate],
      4: [
        'strategy',
        {
          1: ['type', 'string'],
          2: ['rollingUpdate', { 1: ['maxUnavailable', 'intOrString'], 2: ['maxSurge', 'intOrString'] }],
        },
      ],
      5: ['minReadySeconds', 'int'],
      6: ['revisionHistoryLimit', 'int0'],
      7: ['paused', 'bool'],
      9: ['progressDeadlineSeconds', 'int0'],
    },
  ],
  3: ['status', 'skip'],
};
kinds['v1/Service'] = {
  1: ['metadata', objectMeta],
  2: [
    'spec',
    {
      1: [
        'ports',
        {
          repeated: {
            1: ['name', 'string'],
            2: ['protocol', 'string'],
            3: ['port', 'int'],
            4: ['targetPort', 'intOrString'],
            5: ['nodePort', 'int'],
          },
        },
      ],
      2: ['selector', { map: 'string' }],
      3: ['clusterIP', 'string'],
      4: ['type', 'string'],
      7: ['sessionAffinity', 'string'],
      8: ['loadBalancerIP', 'string'],
      10: ['externalName', 'string'],
      11: ['externalTrafficPolicy', 'string'],
      12: ['healthCheckNodePort', 'int'],
      13: ['publishNotReadyAddresses', 'bool'],
    },
  ],
  3: ['status', 'skip'],
};
kinds['batch/v1/Job'] = { 1: ['metadata', objectMeta], 2: ['spec', jobSpec], 3: ['status', 'skip'] };
kinds['batch/v1/CronJob'] = {
  1: ['metadata', objectMeta],
  2: [
    'spec',
    {
      1: ['schedule', 'string'],
      2: ['startingDeadlineSeconds', 'int0'],
      3: ['concurrencyPolicy', 'string'],
      4: ['suspend', 'bool'],
      5: ['jobTemplate', { 1: ['metadata', objectMeta], 2: ['spec', jobSpec] }],
      6: ['successfulJobsHistoryLimit', 'int0'],
      7: ['failedJobsHistoryLimit', 'int0'],
      8: ['timeZone', 'string'],
    },
  ],
  3: ['status', 'skip'],
};

// rbac.authorization.k8s.io/v1 (kubectl create role|clusterrole|rolebinding|clusterrolebinding)
const policyRule: Schema = {
  1: ['verbs', { repeated: 'string' }],
  2: ['apiGroups', { repeated: 'string' }],
  3: ['resources', { repeated: 'string' }],
  4: ['resourceNames', { repeated: 'string' }],
  5: ['nonResourceURLs', { repeated: 'string' }],
};
const subject: Schema = {
  1: ['kind', 'string'],
  2: ['apiGroup', 'string'],
  3: ['name', 'string'],
  4: ['namespace', 'string'],
};
const roleRef: Schema = { 1: ['apiGroup', 'string'], 2: ['kind', 'string'], 3: ['name', 'string'] };
kinds['rbac.authorization.k8s.io/v1/Role'] = { 1: ['metadata', objectMeta], 2: ['rules', { repeated: policyRule }] };
kinds['rbac.authorization.k8s.io/v1/ClusterRole'] = {
  1: ['metadata', objectMeta],
  2: ['rules', { repeated: policyRule }],
  3: ['aggregationRule', { 1: ['clusterRoleSelectors', { repeated: labelSelector }] }],
};
kinds['rbac.authorization.k8s.io/v1/RoleBinding'] = {
  1: ['metadata', objectMeta],
  2: ['subjects', { repeated: subject }],
  3: ['roleRef', roleRef],
};
kinds['rbac.authorization.k8s.io/v1/ClusterRoleBinding'] = kinds['rbac.authorization.k8s.io/v1/RoleBinding'];

// v1 ResourceQuota (kubectl create quota)
kinds['v1/ResourceQuota'] = {
  1: ['metadata', objectMeta],
  2: [
    'spec',
    {
      1: ['hard', { map: 'quantity' }],
      2: ['scopes', { repeated: 'string' }],
      3: [
        'scopeSelector',
        {
          1: [
            'matchExpressions',
            {
              repeated: {
                1: ['scopeName', 'string'],
                2: ['operator', 'string'],
                3: ['values', { repeated: 'string' }],
              },
            },
          ],
        },
      ],
    },
  ],
  3: ['status', 'skip'],
};

// policy/v1 PodDisruptionBudget (kubectl create pdb)
kinds['policy/v1/PodDisruptionBudget'] = {
  1: ['metadata', objectMeta],
  2: [
    'spec',
    { 1: ['minAvailable', 'intOrString'], 2: ['selector', labelSelector], 3: ['maxUnavailable', 'intOrString'] },
  ],
  3: ['status', 'skip'],
};

// scheduling.k8s.io/v1 PriorityClass (kubectl create priorityclass); value 0 is a value
kinds['scheduling.k8s.io/v1/PriorityClass'] = {
  1: ['metadata', objectMeta],
  2: ['value', 'int0'],
  3: ['globalDefault', 'bool'],
  4: ['description', 'string'],
  5: ['preemptionPolicy', 'string'],
};

// networking.k8s.io/v1 Ingress (kubectl create ingress)
const ingressBackend: Schema = {
  3: ['resource', { 1: ['apiGroup', 'string'], 2: ['kind', 'string'], 3: ['name', 'string'] }],
  4: ['service', { 1: ['name', 'string'], 2: ['port', { 1: ['name', 'string'], 2: ['number', 'int'] }] }],
};
kinds['networking.k8s.io/v1/Ingress'] = {
  1: ['metadata', objectMeta],
  2: [
    'spec',
    {
      1: ['defaultBackend', ingressBackend],
      2: ['tls', { repeated: { 1: ['hosts', { repeated: 'string' }], 2: ['secretName', 'string'] } }],
      3: [
        'rules',
        {
          repeated: {
            1: ['host', 'string'],
            2: [
              'ingressRuleValue',
              {
                inline: {
                  1: [
                    'http',
                    {
                      1: [
                        'paths',
                        {
                          repeated: {
                            1: ['path', 'string'],
                            2: ['backend', ingressBackend],
                            3: ['pathType', 'string'],
                          },
                        },
                      ],
                    },
                  ],
                },
              },
            ],
          },
        },
      ],
      4: ['ingressClassName', 'string'],
    },
  ],
  3: ['status', 'skip'],
};

// authentication.k8s.io/v1 TokenRequest (kubectl create token), numbers as kubectl 1.32 sends them
kinds['authentication.k8s.io/v1/TokenRequest'] = {
  1: ['metadata', objectMeta],
  2: [
    'spec',
    {
      1: ['audiences', { repeated: 'string' }],
      3: [
        'boundObjectRef',
        { 1: ['kind', 'string'], 2: ['apiVersion', 'string'], 3: ['name', 'string'], 4: ['uid', 'string'] },
      ],
      4: ['expirationSeconds', 'int0'],
    },
  ],
  3: ['status', 'skip'],
};

// autoscaling/v1 HorizontalPodAutoscaler (kubectl autoscale)
kinds['autoscaling/v1/HorizontalPodAutoscaler'] = {
  1: ['metadata', objectMeta],
  2: [
    'spec',
    {
      1: ['scaleTargetRef', { 1: ['kind', 'string'], 2: ['name', 'string'], 3: ['apiVersion', 'string'] }],
      2: ['minReplicas', 'int0'],
      3: ['maxReplicas', 'int'],
      4: ['targetCPUUtilizationPercentage', 'int0'],
    },
  ],
  3: ['status', 'skip'],
};

// authorization.k8s.io/v1 access reviews (kubectl auth can-i) and authentication.k8s.io/v1
// SelfSubjectReview (kubectl auth whoami)
const resourceAttributes: Schema = {
  1: ['namespace', 'string'],
  2: ['verb', 'string'],
  3: ['group', 'string'],
  4: ['version', 'string'],
  5: ['resource', 'string'],
  6: ['subresource', 'string'],
  7: ['name', 'string'],
};
const nonResourceAttributes: Schema = { 1: ['path', 'string'], 2: ['verb', 'string'] };
kinds['authorization.k8s.io/v1/SelfSubjectAccessReview'] = {
  1: ['metadata', objectMeta],
  2: ['spec', { 1: ['resourceAttributes', resourceAttributes], 2: ['nonResourceAttributes', nonResourceAttributes] }],
  3: ['status', 'skip'],
};
kinds['authorization.k8s.io/v1/SubjectAccessReview'] = {
  1: ['metadata', objectMeta],
  2: [
    'spec',
    {
      1: ['resourceAttributes', resourceAttributes],
      2: ['nonResourceAttributes', nonResourceAttributes],
      3: ['user', 'string'],
      4: ['groups', { repeated: 'string' }],
      6: ['uid', 'string'],
    },
  ],
  3: ['status', 'skip'],
};
kinds['authorization.k8s.io/v1/SelfSubjectRulesReview'] = {
  1: ['metadata', objectMeta],
  2: ['spec', { 1: ['namespace', 'string'] }],
  3: ['status', 'skip'],
};
kinds['authentication.k8s.io/v1/SelfSubjectReview'] = { 1: ['metadata', objectMeta], 2: ['status', 'skip'] };
