import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FilesObject, formatNumber, TemplateEngine, TemplateError } from './template.js';

function render(src: string, data: unknown = {}, defs = '', files = new Map<string, string>()): string {
  const e = new TemplateEngine(files);
  if (defs) e.add('defs', defs);
  e.add('t', src);
  return e.execute('t', data);
}

describe('Go template subset', () => {
  it('trims whitespace with {{- and -}}', () => {
    assert.equal(render('a  \n  {{- "b" -}}  \n c'), 'abc');
    assert.equal(render('a {{ "b" }} c'), 'a b c');
    assert.equal(render('x:\n{{- if true }}\n  y: 1\n{{- end }}\n'), 'x:\n  y: 1\n');
    assert.equal(render('a {{- /* comment */ -}} b'), 'ab');
    assert.equal(render('{{-3}}'), '-3');
  });

  it('evaluates fields, variables and pipelines', () => {
    const data = { Values: { name: 'metalfrr-operator-', n: 7472, big: 1000000, m: { k: 'v' } } };
    assert.equal(render('{{ .Values.name | trunc 63 | trimSuffix "-" | quote }}', data), '"metalfrr-operator"');
    assert.equal(render('{{ $x := .Values.m }}{{ $x.k }}', data), 'v');
    assert.equal(render('{{ .Values.n }} {{ .Values.big }}', data), '7472 1e+06');
    assert.equal(render('{{ printf "%s-%d" "a" 3 | upper }}', data), 'A-3');
    assert.equal(render('{{ (dict "a" (list 1 2)).a | toYaml }}'), '- 1\n- 2');
    assert.equal(render('{{ .Values.missing }}|{{ default "d" .Values.missing }}', data), '|d');
    assert.throws(() => render('{{ .Values.missing.deeper }}', data), /nil pointer evaluating .Values.missing.deeper/);
  });

  it('if / else if / else, with, and/or/not/eq/ne', () => {
    const t = '{{ if eq .x "a" }}A{{ else if and .y (not .z) }}Y{{ else }}E{{ end }}';
    assert.equal(render(t, { x: 'a', y: 0, z: false }), 'A');
    assert.equal(render(t, { x: 'b', y: 1, z: false }), 'Y');
    assert.equal(render(t, { x: 'b', y: {}, z: false }), 'E');
    assert.equal(render('{{ with .m }}{{ .k }}{{ else }}none{{ end }}', { m: { k: 1 } }), '1');
    assert.equal(render('{{ with .m }}{{ .k }}{{ else }}none{{ end }}', { m: {} }), 'none');
    assert.equal(render('{{ or .a .b "c" }}', { a: '', b: 0 }), 'c');
    assert.equal(render('{{ ne 1 2 }}'), 'true');
    assert.throws(() => render('{{ eq "1" 1 }}'), /incompatible types/);
  });

  it('range over lists and maps (maps in key order), with variables and else', () => {
    assert.equal(render('{{ range $i, $v := .l }}{{ $i }}={{ $v }};{{ end }}', { l: ['a', 'b'] }), '0=a;1=b;');
    assert.equal(render('{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}', { m: { b: 2, a: 1 } }), 'a=1;b=2;');
    assert.equal(render('{{ range .l }}{{ . }}{{ else }}empty{{ end }}', { l: [] }), 'empty');
    assert.equal(render('{{ $n := list }}{{ range .l }}{{ $n = append $n (upper .) }}{{ end }}{{ toYaml $n }}', { l: ['a', 'b'] }), '- A\n- B');
  });

  it('define / include / template, with nindent and indent', () => {
    const defs = '{{- define "labels" -}}\na: {{ .a }}\nb: x\n{{- end -}}';
    assert.equal(render('m:\n  {{- include "labels" . | nindent 2 }}', { a: 1 }, defs), 'm:\n  a: 1\n  b: x');
    assert.equal(render('{{ template "labels" . }}', { a: 2 }, defs), 'a: 2\nb: x');
    assert.equal(render('{{ include "labels" . | indent 4 }}', { a: 3 }, defs), '    a: 3\n    b: x');
    assert.throws(() => render('{{ include "nope" . }}'), /no template "nope"/);
  });

  it('toYaml sorts keys like Helm, fromYaml/merge/set/hasKey work on maps, .Files.Get reads chart files', () => {
    assert.equal(render('{{ toYaml .m }}', { m: { b: 1, a: { d: [1], c: 'x' } } }), 'a:\n  c: x\n  d:\n  - 1\nb: 1');
    const files = new Map([['files/x.yaml', 'k: v\nn: 2\n']]);
    const root = { Files: new FilesObject(files) };
    assert.equal(render('{{ .Files.Get "files/x.yaml" | fromYaml | toYaml }}', root, '', files), 'k: v\nn: 2');
    assert.equal(render('{{ with .Files }}{{ $.Files.Get "files/x.yaml" }}{{ end }}', root, '', files), files.get('files/x.yaml'));
    assert.throws(() => render('{{ .Files.Get "files/none.yaml" }}', root, '', files), /no file files\/none.yaml/);
    assert.throws(() => render('{{ .Files.Glob "files/*" }}', root, '', files), /only .Files.Get/);
    const out = render('{{ $m := .F | fromYaml }}{{ $_ := set $m "z" 1 }}{{ toYaml (merge (dict "k" "own") $m) }}|{{ hasKey $m "n" }}', { F: files.get('files/x.yaml') });
    assert.equal(out, 'k: own\nn: 2\nz: 1|true');
  });

  it('refuses what it does not implement', () => {
    assert.throws(() => render('{{ tpl "x" . }}'), (e: unknown) => e instanceof TemplateError && /function "tpl" not implemented/.test(e.message));
    assert.throws(() => render('{{ block "x" . }}{{ end }}'), /not implemented/);
    assert.throws(() => render('{{ .m }}', { m: { a: 1 } }), /printing a map/);
    assert.throws(() => render('{{ if true }}x'), /unexpected end of template/);
    assert.throws(() => render('{{ printf "%x" 1 }}'), /verb %x not implemented/);
    assert.throws(() => render("{{ 'a' }}"), /unsupported character/);
    assert.throws(() => render('{{ fail "stop here" }}'), /stop here/);
  });

  it('prints numbers like Go prints float64 values', () => {
    assert.deepEqual([7472, 0.5, 123456, 1234567, 1e21, 1.5e-7].map(formatNumber), ['7472', '0.5', '123456', '1.234567e+06', '1e+21', '1.5e-07']);
  });
});
