// One promotion planned inside a checkout: what the environment holds now, what the render puts
// there instead, the per-resource changes and the files to write (manifests, metadata, README).
import type { RenderResult } from '../render/index.ts';
import { type Checkout, readText, readYamlFiles } from './checkout.ts';
import { diffObjects, objectsIn, type ResourceChange } from './diff.ts';
import { layoutFor } from './layout.ts';
import { buildMetadata, type GitopsMetadata, type PromoteImage, parseMetadata, pinnedRef, readme } from './metadata.ts';
import { type SummaryInput, summary } from './summary.ts';

export interface Plan {
  files: Map<string, string>;
  /** paths removed before the files are written */
  remove: string[];
  changes: ResourceChange[];
  imagesChanged: boolean;
  metadata: GitopsMetadata;
  previous?: GitopsMetadata;
  summaryInput: SummaryInput;
  /** the full summary, as diff and --dry-run print it */
  text: string;
}

export interface PlanInput {
  project: string;
  env: string;
  template: string;
  render: RenderResult;
  images: Record<string, PromoteImage>;
  configPath: string;
  from?: string;
  /** variables set by --var or the process environment */
  overrides?: Record<string, string>;
  where: string;
  ciRun?: string;
}

export async function plan(co: Checkout, input: PlanInput): Promise<Plan> {
  const layout = layoutFor(input.template, { env: input.env, project: input.project }, input.render.apps, input.where);
  const metaFile = `${layout.metadataDir}/hydrator.metadata`;
  const previous = parseMetadata(await readText(co, metaFile));
  // apps promoted before but gone from kloop.yaml (or moved) are removed too
  const oldPaths =
    previous?.kloop.project === input.project && previous.kloop.environment === input.env
      ? Object.values(previous.kloop.apps ?? {})
          .map((a) => a.path)
          .filter((p) => typeof p === 'string' && p !== '' && !p.startsWith('/') && !p.split('/').includes('..'))
      : [];
  const remove = [...new Set([...layout.targets, ...oldPaths, layout.metadataDir])].sort();
  const before = objectsIn(
    await readYamlFiles(
      co,
      remove.filter((p) => p !== layout.metadataDir),
    ),
  );
  const after = input.render.apps.flatMap((a) => a.objects);
  const changes = diffObjects(before, after);

  const metadata = buildMetadata(
    input.render.metadata,
    input.env,
    input.images,
    layout.appFiles,
    input.from,
    input.overrides,
  );
  const files = new Map(layout.files);
  files.set(metaFile, `${JSON.stringify(metadata, null, 2)}\n`);
  files.set(`${layout.metadataDir}/README.md`, readme(metadata, input.configPath));

  const oldImages = previous?.kloop.images;
  const imagesChanged = Object.keys({ ...oldImages, ...input.images }).some((name) => {
    const a = oldImages?.[name];
    const b = input.images[name];
    return !a || !b || pinnedRef(a) !== pinnedRef(b);
  });
  const validation = [
    input.render.metadata.kloop.validated
      ? `schema: ${after.length} objects valid against Kubernetes ${input.render.metadata.kloop.kubeVersion} and the CRDs in the render`
      : 'schema: not validated',
    'secret guard: no plain Secret data and no secret variable values',
    ...input.render.warnings.map((w) => `warning: ${w}`),
  ];
  const summaryInput: SummaryInput = {
    metadata,
    oldImages,
    changes,
    validation,
    configPath: input.configPath,
    ciRun: input.ciRun,
  };
  return { files, remove, changes, imagesChanged, metadata, previous, summaryInput, text: summary(summaryInput) };
}
