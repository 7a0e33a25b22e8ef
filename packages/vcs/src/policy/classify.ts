import type { FileClass } from './presets.js';

const CONFIG_EXTENSIONS = new Set([
  'json', 'jsonc', 'json5', 'yaml', 'yml', 'toml', 'ini', 'cfg', 'conf', 'config', 'properties', 'env', 'xml', 'plist', 'lock', 'editorconfig',
]);
const CONFIG_NAMES = new Set([
  'dockerfile', 'makefile', 'procfile', 'gemfile', 'rakefile', 'vagrantfile', 'jenkinsfile', 'license', 'codeowners',
  '.env', '.envrc', '.npmrc', '.yarnrc', '.nvmrc', '.node-version', '.python-version', '.tool-versions', '.gitignore',
  '.gitattributes', '.gitmodules', '.dockerignore', '.prettierrc', '.eslintrc', '.babelrc', '.browserslistrc', '.hgignore',
]);
const ASSET_EXTENSIONS = new Set([
  'png', 'jpg', 'jpeg', 'gif', 'bmp', 'tif', 'tiff', 'webp', 'avif', 'heic', 'ico', 'icns', 'svg', 'psd', 'ai', 'sketch', 'fig', 'xcf',
  'woff', 'woff2', 'ttf', 'otf', 'eot', 'mp3', 'wav', 'ogg', 'flac', 'aac', 'm4a', 'mp4', 'mov', 'webm', 'mkv', 'avi',
  'pdf', 'zip', 'gz', 'tgz', 'bz2', 'xz', 'zst', '7z', 'rar', 'blend', 'fbx', 'obj', 'glb', 'gltf', 'stl', 'sqlite', 'db',
]);

/**
 * The class of a file by its name, for files no preset claims: config (settings, manifests,
 * lock files, dotfiles like .env), asset (images, fonts, media, archives, documents) or source.
 */
export function classifyName(name: string): FileClass {
  const dot = name.lastIndexOf('.');
  // Most names: "x.ext", not starting with '.'. Every name of CONFIG_NAMES is a dotfile or has no
  // '.', so only the extension decides (without lowercasing the whole name: this runs per file).
  if (dot > 0 && name.charCodeAt(0) !== 46) return classOfExtension(name.slice(dot + 1).toLowerCase());
  const lower = name.toLowerCase();
  if (CONFIG_NAMES.has(lower) || lower.startsWith('.env.') || (lower.startsWith('.') && lower.endsWith('rc'))) return 'config';
  return classOfExtension(dot > 0 ? lower.slice(dot + 1) : dot === 0 ? lower.slice(1) : '');
}

/** The class of a file by its (lowercase) extension: config, asset or source. */
function classOfExtension(extension: string): FileClass {
  if (CONFIG_EXTENSIONS.has(extension)) return 'config';
  if (ASSET_EXTENSIONS.has(extension)) return 'asset';
  return 'source';
}
