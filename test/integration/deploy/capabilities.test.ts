// kloop deploy renders a chart for the cluster it deploys to, as `helm install` does: the
// cluster's version and API list (.Capabilities.KubeVersion, .Capabilities.APIVersions from
// discovery, custom resources included). The oracle is helm itself: `helm install
// --dry-run=server` against the same sandbox renders the same ConfigMap. `kloop render` has no
// cluster and keeps the configured kubeVersion and apiVersions; a deploy adds the configured
// apiVersions to the cluster's (helm install has no flag for them).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireDocker } from '../../helpers/docker.ts';
import { type Project, run, useSandbox } from './fixture.ts';

const docker = await requireDocker('the deploy capabilities test');

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.example.com }
spec:
  group: example.com
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget }
  versions:
    - name: v1
      served: true
      storage: true
      schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
`;

const TEMPLATE = `apiVersion: v1
kind: ConfigMap
metadata: { name: caps }
data:
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
  widgets: {{ .Capabilities.APIVersions.Has "example.com/v1/Widget" | quote }}
  widgetGroup: {{ .Capabilities.APIVersions.Has "example.com/v1" | quote }}
  configured: {{ .Capabilities.APIVersions.Has "configured.example/v1" | quote }}
`;

describe('kloop deploy renders for the cluster', { skip: docker ? false : 'Docker is not available' }, () => {
  const cluster = useSandbox();
  let p: Project;

  it('.Capabilities come from the cluster, as helm install --dry-run=server renders them', async () => {
    p = cluster.project('caps', {
      'kloop.yaml': `version: v1
name: caps
kubeVersion: "1.29.0"
apiVersions: [configured.example/v1]
apps:
  site:
    helm: { chart: chart }
`,
      'chart/Chart.yaml': 'apiVersion: v2\nname: site\nversion: 0.1.0\n',
      'chart/templates/caps.yaml': TEMPLATE,
    });
    const crd = await p.kubectlInput(CRD, 'apply', '-f', '-');
    assert.equal(crd.code, 0, crd.stderr);
    const established = await p.kubectl('wait', '--for=condition=Established', 'crd/widgets.example.com');
    assert.equal(established.code, 0, established.stderr);

    const deployed = await p.kloop('deploy', '--skip-build');
    assert.equal(deployed.code, 0, deployed.stderr);
    const got = JSON.parse((await p.kubectl('get', 'configmap', 'caps', '-n', 'caps', '-o', 'json')).stdout);

    const helm = await run('helm', ['install', 'site', `${p.dir}/chart`, '-n', 'default', '--dry-run=server'], {
      env: { KUBECONFIG: cluster.sandbox.kubeconfig, HOME: p.dir },
    });
    assert.equal(helm.code, 0, helm.stderr);
    const expected = (key: string) => new RegExp(`\\n {2}${key}: "([^"]*)"`).exec(helm.stdout)?.[1];
    const version = JSON.parse((await p.kubectl('version', '-o', 'json')).stdout).serverVersion.gitVersion;
    assert.equal(expected('kube'), version, helm.stdout);
    // helm install has no --api-versions: the configured list is kloop's addition to the cluster's
    assert.deepEqual(
      { ...got.data, configured: undefined },
      {
        kube: expected('kube'),
        widgets: expected('widgets'),
        widgetGroup: expected('widgetGroup'),
        configured: undefined,
      },
    );
    assert.deepEqual(got.data, { kube: version, widgets: 'true', widgetGroup: 'true', configured: 'true' });

    // no cluster: the configured version and list
    const rendered = await p.kloop('render');
    assert.equal(rendered.code, 0, rendered.stderr);
    assert.match(rendered.stdout, /kube: v1\.29\.0\n/);
    assert.match(rendered.stdout, /widgets: "false"/);
    assert.match(rendered.stdout, /configured: "true"/);
  });
});
