/** Syntax highlighting for previews: highlight.js's core with the languages a backup most often holds, chosen by file extension. */
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import ini from 'highlight.js/lib/languages/ini';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

const languages = { bash, c, cpp, css, diff, go, ini, java, javascript, json, markdown, python, rust, sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(languages)) hljs.registerLanguage(name, language);

const byExtension: Record<string, keyof typeof languages> = {
  sh: 'bash', bash: 'bash', zsh: 'bash', c: 'c', h: 'c', cc: 'cpp', cpp: 'cpp', hpp: 'cpp', css: 'css', diff: 'diff', patch: 'diff',
  go: 'go', ini: 'ini', toml: 'ini', cfg: 'ini', conf: 'ini', java: 'java', js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascript',
  json: 'json', md: 'markdown', markdown: 'markdown', py: 'python', rs: 'rust', sql: 'sql', ts: 'typescript', tsx: 'typescript', mts: 'typescript',
  html: 'xml', htm: 'xml', xml: 'xml', svg: 'xml', yml: 'yaml', yaml: 'yaml',
};

/** Text larger than this is shown plain: highlighting it would hold up the page. */
const MAX_HIGHLIGHT = 256 * 1024;

/** The language of `path` by its extension, or null. */
export function languageOf(path: string): string | null {
  const ext = /\.([^./]+)$/.exec(path)?.[1]?.toLowerCase();
  return ext === undefined ? null : byExtension[ext] ?? null;
}

/** Escapes text for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]!);
}

/** `text` as HTML with highlight.js's classes (escaped plain text when the language is unknown or the text is large). */
export function highlight(text: string, path: string): { html: string; language: string | null } {
  const language = languageOf(path);
  if (language === null || text.length > MAX_HIGHLIGHT) return { html: escapeHtml(text), language: null };
  return { html: hljs.highlight(text, { language, ignoreIllegals: true }).value, language };
}
