// Renders the operand manifests: templates/manifests/*.yaml.hbs (compiled once, isolated Handlebars,
// noEscape, strict) with the view from view.ts, parsed as YAML into objects in apply order. Pure.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../api/meta.js';
import type { MetalLB } from '../api/metallb.js';
import { projectPath } from '../util/paths.js';
import type { OperatorParams } from './params.js';
import { manifestView, type ManifestView } from './view.js';

let compiled: Array<{ file: string; tpl: Handlebars.TemplateDelegate<ManifestView> }> | undefined;

function templates(): NonNullable<typeof compiled> {
  if (compiled) return compiled;
  const hb = Handlebars.create();
  hb.registerHelper('json', (v: unknown) => JSON.stringify(v ?? null));
  hb.registerHelper('scoped', function (this: unknown, name: string, opts: Handlebars.HelperOptions) {
    return `${(opts.data.root as ManifestView).ns}:${name}`;
  });
  const dir = projectPath('templates', 'manifests');
  compiled = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml.hbs'))
    .sort()
    .map((file) => ({ file, tpl: hb.compile<ManifestView>(readFileSync(join(dir, file), 'utf8'), { noEscape: true, strict: true, knownHelpersOnly: false }) }));
  return compiled;
}

/** Renders a view into objects; a template that yields invalid YAML throws naming the file. */
export function renderView(view: ManifestView): KubeObject[] {
  const out: KubeObject[] = [];
  for (const { file, tpl } of templates()) {
    const text = tpl(view);
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`templates/manifests/${file}: ${doc.errors[0]!.message}`);
      const obj = doc.toJS() as KubeObject | null;
      if (obj === null || obj === undefined) continue;
      out.push(obj);
    }
  }
  return out;
}

/** The operand objects for a (valid) MetalLB CR, in apply order, without owner references. */
export function renderOperands(cr: MetalLB, params: OperatorParams, caBundle = ''): KubeObject[] {
  return renderView(manifestView(cr, params, caBundle));
}

/** group/version/kind/namespace/name: the identity the operator uses to decide what to delete. */
export function identityOf(o: { apiVersion?: string; kind?: string; metadata: { namespace?: string; name?: string } }): string {
  const group = (o.apiVersion ?? '').includes('/') ? o.apiVersion!.split('/')[0] : '';
  return `${group}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}
