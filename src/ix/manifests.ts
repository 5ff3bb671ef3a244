// Dependency manifests of a repository, parsed into what they declare, require and lock:
// package.json / package-lock.json (JSON), Cargo.toml / Cargo.lock and pyproject.toml (smol-toml),
// go.mod / go.sum, requirements*.txt and flake.nix (line formats with no well-kept npm parser:
// read here, conservatively), flake.lock (JSON). A file that does not parse yields nothing.
import { parse as parseToml } from 'smol-toml';

export type Ecosystem = 'npm' | 'cargo' | 'go' | 'pypi' | 'nix';
export type DepKind = 'runtime' | 'dev' | 'peer' | 'optional' | 'build' | 'indirect' | 'toolchain' | 'input' | 'lock';

export interface ManifestEntry {
  /** declares: the package the manifest is; requires: a dependency; locks: a pinned version. */
  relation: 'declares' | 'requires' | 'locks';
  name: string;
  version: string;
  kind: DepKind;
}

export interface ParsedManifest {
  ecosystem: Ecosystem;
  entries: ManifestEntry[];
}

type Parser = (text: string) => ManifestEntry[];

/** The manifest parser for a file name (the path's last part), or null. */
export function manifestFormat(file: string): { ecosystem: Ecosystem; parse: Parser } | null {
  const base = file.slice(file.lastIndexOf('/') + 1);
  if (/^requirements([-_.][\w.-]*)?\.txt$/.test(base)) return { ecosystem: 'pypi', parse: requirementsTxt };
  return FORMATS[base] ?? null;
}

const FORMATS: Record<string, { ecosystem: Ecosystem; parse: Parser }> = {
  'package.json': { ecosystem: 'npm', parse: packageJson },
  'package-lock.json': { ecosystem: 'npm', parse: packageLock },
  'Cargo.toml': { ecosystem: 'cargo', parse: cargoToml },
  'Cargo.lock': { ecosystem: 'cargo', parse: cargoLock },
  'go.mod': { ecosystem: 'go', parse: goMod },
  'go.sum': { ecosystem: 'go', parse: goSum },
  'pyproject.toml': { ecosystem: 'pypi', parse: pyproject },
  'flake.nix': { ecosystem: 'nix', parse: flakeNix },
  'flake.lock': { ecosystem: 'nix', parse: flakeLock },
};

export function parseManifest(file: string, text: string): ParsedManifest | null {
  const f = manifestFormat(file);
  if (!f) return null;
  try {
    return { ecosystem: f.ecosystem, entries: f.parse(text) };
  } catch {
    return { ecosystem: f.ecosystem, entries: [] };
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function fromMap(map: unknown, kind: DepKind, version: (v: unknown) => string): ManifestEntry[] {
  if (!isObj(map)) return [];
  return Object.entries(map).map(([name, v]) => ({ relation: 'requires' as const, name, version: version(v), kind }));
}

function declares(name: unknown, version: unknown): ManifestEntry[] {
  return typeof name === 'string' && name ? [{ relation: 'declares', name, version: str(version), kind: 'runtime' }] : [];
}

function packageJson(text: string): ManifestEntry[] {
  const p = JSON.parse(text) as Obj;
  const v = (x: unknown) => str(x);
  return [
    ...declares(p.name, p.version),
    ...fromMap(p.dependencies, 'runtime', v),
    ...fromMap(p.devDependencies, 'dev', v),
    ...fromMap(p.peerDependencies, 'peer', v),
    ...fromMap(p.optionalDependencies, 'optional', v),
  ];
}

function packageLock(text: string): ManifestEntry[] {
  const p = JSON.parse(text) as Obj;
  const out: ManifestEntry[] = [];
  if (isObj(p.packages)) {
    for (const [where, v] of Object.entries(p.packages)) {
      const i = where.lastIndexOf('node_modules/');
      if (i === -1 || !isObj(v) || v.link === true) continue;
      out.push({ relation: 'locks', name: where.slice(i + 13), version: str(v.version), kind: 'lock' });
    }
  } else if (isObj(p.dependencies)) {
    for (const [name, v] of Object.entries(p.dependencies)) out.push({ relation: 'locks', name, version: isObj(v) ? str(v.version) : '', kind: 'lock' });
  }
  return dedupe(out);
}

/** Cargo and Poetry: "1.0", or a table with version, git or path. */
function tableVersion(v: unknown): string {
  if (typeof v === 'string') return v;
  if (!isObj(v)) return '*';
  if (typeof v.version === 'string') return v.version;
  if (typeof v.git === 'string') return `git:${v.git}`;
  if (typeof v.path === 'string') return `path:${v.path}`;
  return v.workspace === true ? 'workspace' : '*';
}

function cargoToml(text: string): ManifestEntry[] {
  const t = parseToml(text) as Obj;
  const pkg = isObj(t.package) ? t.package : {};
  return [
    ...declares(pkg.name, tableVersion(pkg.version) === '*' ? '' : tableVersion(pkg.version)),
    ...fromMap(t.dependencies, 'runtime', tableVersion),
    ...fromMap(t['dev-dependencies'], 'dev', tableVersion),
    ...fromMap(t['build-dependencies'], 'build', tableVersion),
  ];
}

function cargoLock(text: string): ManifestEntry[] {
  const t = parseToml(text) as Obj;
  const pkgs = Array.isArray(t.package) ? t.package : [];
  return dedupe(pkgs.filter(isObj).map((p) => ({ relation: 'locks' as const, name: str(p.name), version: str(p.version), kind: 'lock' as const })));
}

/** PEP 508: `name[extras] (specifier) ; markers` or `name @ url`. */
export function pep508(spec: string): { name: string; version: string } | null {
  const s = spec.split(';')[0]!.trim();
  const m = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(.*)$/.exec(s);
  if (!m) return null;
  const rest = m[2]!.trim().replace(/^\((.*)\)$/, '$1').trim();
  return { name: m[1]!, version: rest.startsWith('@') ? rest.slice(1).trim() : rest || '*' };
}

function pyproject(text: string): ManifestEntry[] {
  const t = parseToml(text) as Obj;
  const out: ManifestEntry[] = [];
  const project = isObj(t.project) ? t.project : {};
  out.push(...declares(project.name, project.version));
  const fromList = (list: unknown, kind: DepKind) => {
    if (!Array.isArray(list)) return;
    for (const d of list) {
      const r = typeof d === 'string' ? pep508(d) : null;
      if (r) out.push({ relation: 'requires', ...r, kind });
    }
  };
  fromList(project.dependencies, 'runtime');
  if (isObj(project['optional-dependencies'])) for (const l of Object.values(project['optional-dependencies'])) fromList(l, 'optional');
  if (isObj(t['dependency-groups'])) for (const l of Object.values(t['dependency-groups'])) fromList(l, 'dev');
  const poetry = isObj(t.tool) && isObj(t.tool.poetry) ? t.tool.poetry : null;
  if (poetry) {
    if (!project.name) out.push(...declares(poetry.name, poetry.version));
    const deps = isObj(poetry.dependencies) ? Object.fromEntries(Object.entries(poetry.dependencies).filter(([k]) => k !== 'python')) : {};
    out.push(...fromMap(deps, 'runtime', tableVersion), ...fromMap(poetry['dev-dependencies'], 'dev', tableVersion));
    if (isObj(poetry.group)) {
      for (const g of Object.values(poetry.group)) if (isObj(g)) out.push(...fromMap(g.dependencies, 'dev', tableVersion));
    }
  }
  return out;
}

function requirementsTxt(text: string): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  // Backslash-newline continues a line; `#` starts a comment; `-r`, `-e`, `--hash` are options.
  for (const raw of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, '').replace(/\s--?[a-z][\w-]*(=\S+|\s+\S+)?/g, '').trim();
    if (!line || line.startsWith('-')) continue;
    const r = pep508(line);
    if (r) out.push({ relation: 'requires', ...r, kind: 'runtime' });
  }
  return out;
}

function goMod(text: string): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  let block: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const indirect = /\/\/\s*indirect\b/.test(raw);
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (!line) continue;
    if (block) {
      if (line === ')') block = null;
      else if (block === 'require') out.push(...goRequire(line, indirect));
      continue;
    }
    const [verb, ...rest] = line.split(/\s+/);
    if (rest[0] === '(') block = verb!;
    else if (verb === 'module') out.push(...declares(rest[0]?.replace(/^"|"$/g, ''), ''));
    else if (verb === 'go') out.push({ relation: 'requires', name: 'go', version: rest[0] ?? '', kind: 'toolchain' });
    else if (verb === 'toolchain') out.push({ relation: 'requires', name: 'go', version: rest[0] ?? '', kind: 'toolchain' });
    else if (verb === 'require') out.push(...goRequire(rest.join(' '), indirect));
  }
  return out;
}

function goRequire(line: string, indirect: boolean): ManifestEntry[] {
  const [name, version] = line.split(/\s+/);
  return name && version ? [{ relation: 'requires', name: name.replace(/^"|"$/g, ''), version, kind: indirect ? 'indirect' : 'runtime' }] : [];
}

function goSum(text: string): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  for (const line of text.split(/\r?\n/)) {
    const [name, version] = line.trim().split(/\s+/);
    if (name && version) out.push({ relation: 'locks', name, version: version.replace(/\/go\.mod$/, ''), kind: 'lock' });
  }
  return dedupe(out);
}

function flakeNix(text: string): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  // Nix has no parser on npm worth its weight: inputs are read from `x.url = "…"` forms only.
  for (const m of text.matchAll(/(?:^|[\s{;])(?:inputs\.)?([A-Za-z_][\w-]*)\.url\s*=\s*"([^"]+)"/g)) {
    out.push({ relation: 'requires', name: m[1]!, version: m[2]!, kind: 'input' });
  }
  return dedupe(out);
}

function flakeLock(text: string): ManifestEntry[] {
  const t = JSON.parse(text) as Obj;
  if (!isObj(t.nodes)) return [];
  const out: ManifestEntry[] = [];
  for (const [name, node] of Object.entries(t.nodes)) {
    if (name === 'root' || !isObj(node) || !isObj(node.locked)) continue;
    out.push({ relation: 'locks', name, version: str(node.locked.rev) || str(node.locked.narHash), kind: 'lock' });
  }
  return out;
}

function dedupe(entries: ManifestEntry[]): ManifestEntry[] {
  const seen = new Map<string, ManifestEntry>();
  for (const e of entries) if (e.name) seen.set(`${e.relation}\0${e.kind}\0${e.name}\0${e.version}`, e);
  return [...seen.values()];
}
