// YAML for the cluster's reader. Kubernetes, kubectl, helm, Flux and Argo CD read YAML through
// sigs.k8s.io/yaml (go-yaml v2): YAML 1.1 scalars, so an unquoted `yes` is a boolean and `0755` is
// 493. Every YAML kloop writes goes through `stringifyYaml`, which quotes each string that any
// common reader (YAML 1.1 as go-yaml v2 or PyYAML read it, YAML 1.2 core) would take for something
// else; every YAML kloop reads on the cluster's behalf goes through `parseKubeDocuments`, which
// resolves plain scalars exactly as go-yaml v2 does. kloop.yaml itself is kloop's own file and is
// read as YAML 1.2 (config/yaml-source.ts).
import {
  Document,
  type DocumentOptions,
  type ParseOptions,
  type LineCounter,
  parseAllDocuments,
  parseDocument,
  type ScalarTag,
  type SchemaOptions,
  type ToStringOptions,
  visit,
} from 'yaml';

// ---------------------------------------------------------------------------------------------
// Reading as Kubernetes reads

/**
 * The number go-yaml v2 resolves a plain scalar to, or undefined when it stays a string. Mirrors
 * resolve.go: only scalars starting with a digit, a sign or a dot are tried; underscores are
 * dropped; strconv.ParseInt with base 0 (0b, 0o, 0x and a leading 0 for octal), then ParseUint,
 * then floats of the form [-+]?(.d+|d+(.d*)?)([eE][-+]?d+)?. Timestamps and sexagesimal numbers
 * stay strings (go-yaml v2 decodes them into interface{} as strings).
 */
export function kubeNumber(text: string): number | undefined {
  return kubeScalar(text)?.value;
}

function kubeScalar(text: string): { value: number; int: boolean } | undefined {
  const first = text[0];
  if (first === '.')
    return /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/.test(text) ? { value: Number(text), int: false } : undefined;
  if (first === undefined || !/[-+0-9]/.test(first)) return undefined;
  const plain = text.replaceAll('_', '');
  const int = /^([-+]?)(?:0[bB]([01]+)|0[oO]([0-7]+)|0[xX]([0-9a-fA-F]+)|0([0-7]+)|([1-9][0-9]*|0))$/.exec(plain);
  if (int) {
    const [, sign, bin, oct, hex, oct0, dec] = int;
    const digits = bin ? `0b${bin}` : oct ? `0o${oct}` : hex ? `0x${hex}` : oct0 ? `0o${oct0}` : dec!;
    const magnitude = BigInt(digits);
    const value = sign === '-' ? -magnitude : magnitude;
    // ParseInt (int64), else ParseUint (uint64, no sign); beyond those go-yaml tries a float
    const fits = (value >= -(2n ** 63n) && value < 2n ** 63n) || (sign === '' && value < 2n ** 64n);
    if (fits) return { value: Number(value), int: true };
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(plain)) {
    const value = Number(plain);
    // strconv.ParseFloat reports a range error beyond float64; go-yaml then keeps the string
    return Number.isFinite(value) ? { value, int: false } : undefined;
  }
  return undefined;
}

const matches = (fn: (s: string) => boolean) => ({ test: fn }) as unknown as RegExp;
const INT = 'tag:yaml.org,2002:int';
const FLOAT = 'tag:yaml.org,2002:float';
const TIMESTAMP = 'tag:yaml.org,2002:timestamp';

const kubeInt: ScalarTag = {
  identify: (v) => Number.isInteger(v),
  default: true,
  tag: INT,
  test: matches((s) => kubeScalar(s)?.int === true),
  resolve: (s) => kubeNumber(s)!,
};
const kubeFloat: ScalarTag = {
  identify: (v) => typeof v === 'number',
  default: true,
  tag: FLOAT,
  test: matches((s) => kubeScalar(s)?.int === false),
  resolve: (s) => kubeNumber(s)!,
};

/** YAML 1.1's tags with go-yaml v2's numbers, and no timestamps or sexagesimals. */
type Tags = Extract<NonNullable<SchemaOptions['customTags']>, unknown[]>;
function kubeTags(tags: Tags): Tags {
  const kept = tags.filter((t) => {
    if (typeof t === 'string') return true;
    if (t.tag === TIMESTAMP) return false;
    // .inf / .nan stay (go-yaml v2 has them in its map); every other number is kubeInt / kubeFloat
    if (t.tag === INT) return false;
    if (t.tag === FLOAT) return (t as ScalarTag).format === undefined && /inf|nan/i.test(String(t.test));
    return true;
  });
  const nan = kept.findIndex((t) => typeof t !== 'string' && t.tag === FLOAT);
  kept.splice(nan < 0 ? kept.length : nan, 0, kubeInt, kubeFloat);
  return kept;
}

const KUBE_OPTIONS = {
  version: '1.1',
  customTags: kubeTags,
  merge: true,
  uniqueKeys: false,
} as const satisfies ParseOptions & DocumentOptions & SchemaOptions;

/** Every document of a stream, scalars resolved as Kubernetes resolves them. */
export function parseKubeDocuments(text: string, lineCounter?: LineCounter): Document.Parsed[] {
  return parseAllDocuments(text, { ...KUBE_OPTIONS, lineCounter }) as Document.Parsed[];
}

/** One YAML document (a Chart.yaml, a kubeconfig) read as Kubernetes' tools read it. */
export function parseKube(text: string): unknown {
  const doc = parseDocument(text, KUBE_OPTIONS);
  if (doc.errors.length > 0) throw doc.errors[0];
  return doc.toJS({ maxAliasCount: 10000 });
}

/**
 * A document whose every scalar is kept as the string it was written as (the failsafe schema):
 * for editing a user's file (a kustomization) without changing any value it holds.
 */
export function parseVerbatim(text: string): Document.Parsed {
  return parseDocument(text, { schema: 'failsafe', uniqueKeys: false });
}

// ---------------------------------------------------------------------------------------------
// Writing for every reader

const WORD = /^(?:y|n|yes|no|on|off|true|false|null|~|)$/i;
// PyYAML's YAML 1.1 resolvers (the strictest 1.1 reader in common use) beyond go-yaml's
const YAML11_INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const YAML11_FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const YAML11_TIMESTAMP =
  /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/;
// YAML 1.2 core, plus the special floats of every version in any case
const YAML12 =
  /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.inf|\.nan)$/i;

/**
 * Whether a string, written as a plain scalar, would be read back as something else (a boolean,
 * null, a number, a timestamp, a merge key or YAML 1.1's `=` value key) by go-yaml v2, PyYAML or a
 * YAML 1.2 core reader: such strings are written quoted.
 */
export function isAmbiguous(s: string): boolean {
  if (s.length > 64 || s.includes('\n')) return false; // nothing ambiguous is that long; the writer quotes the rest
  return (
    WORD.test(s) ||
    s === '=' ||
    s === '<<' ||
    kubeNumber(s) !== undefined ||
    YAML11_INT.test(s) ||
    YAML11_FLOAT.test(s) ||
    YAML11_TIMESTAMP.test(s) ||
    YAML12.test(s) ||
    libResolves(s)
  );
}

// what the yaml package's own 1.1 and core schemas resolve (e.g. `e3` as a YAML 1.1 float)
const libTags = (version: '1.1' | '1.2') =>
  new Document(null, { version }).schema.tags.filter(
    (t): t is ScalarTag =>
      !('collection' in t && t.collection) && t.default === true && t.tag !== 'tag:yaml.org,2002:str' && !!t.test,
  );
let lib: ScalarTag[] | undefined;
function libResolves(s: string): boolean {
  lib ??= [...libTags('1.1'), ...libTags('1.2')];
  return lib.some((t) => t.test!.test(s));
}

// Fixed options: the bytes written depend on the value only, never on library defaults changing.
const WRITE_OPTIONS = {
  indent: 2,
  indentSeq: true,
  lineWidth: 0,
  minContentWidth: 0,
  blockQuote: 'literal',
  defaultStringType: 'PLAIN',
  defaultKeyType: 'PLAIN',
  nullStr: 'null',
  trueStr: 'true',
  falseStr: 'false',
} as const satisfies ToStringOptions;

/**
 * One YAML document for any reader: every string key or value that YAML 1.1 or 1.2 would read as
 * something else is double-quoted; everything else is as the yaml package writes it. Reading the
 * result with YAML 1.1 (as Kubernetes does) or YAML 1.2 gives back the same value.
 */
export function stringifyYaml(value: unknown, options: ToStringOptions = {}): string {
  const doc = new Document(value, { version: '1.2', aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && isAmbiguous(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ ...WRITE_OPTIONS, ...options });
}
