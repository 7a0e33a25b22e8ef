import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, projectOf, resolveProjects } from '@cairn/vcs/config';
import { readConfigFile, userConfigPath } from '../src/config/load.js';
import { configErrors } from '../src/config/schema.js';
import { rejection, tempDir, writeFiles } from './helpers.js';

async function writeJson(path: string, value: unknown): Promise<string> {
  await mkdir(path.slice(0, path.lastIndexOf('/')), { recursive: true });
  await writeFile(path, JSON.stringify(value, null, 2));
  return path;
}

describe('config files', () => {
  it('loads the nearest project file and the user file, the project over the user', async () => {
    const root = await tempDir();
    const user = await writeJson(join(root, 'user', 'config.json'), {
      vcs: 'full',
      policy: { exclude: ['*.psd'], keepIgnoredSecrets: false },
      projects: [{ path: join(root, 'work', 'web'), client: 'Acme', phase: 'lead', tags: ['old'] }],
    });
    const projectFile = await writeJson(join(root, 'work', 'cairn.config.json'), {
      $schema: 'https://example.com/cairn.schema.json',
      vcs: 'changes',
      policy: { exclude: ['*.mp4'], keepIgnoredSecrets: true },
      projects: [
        { path: 'web', phase: 'active', tags: ['frontend'], policy: { include: ['dist/**'] } },
        { path: 'api', project: 'acme-api', stack: ['python'] },
      ],
    });
    await writeFiles(join(root, 'work'), { 'web/package.json': '{}', 'web/src/deep/x.ts': '', 'api/requirements.txt': '' });

    const config = await loadConfig({ dir: join(root, 'work', 'web', 'src', 'deep'), userConfig: user });
    expect(config.files).toEqual([user, projectFile]);
    expect(config.vcs).toBe('changes');
    expect(config.policy).toEqual({ exclude: ['*.psd', '*.mp4'], keepIgnoredSecrets: true });
    const projects = await resolveProjects(config);
    expect(projects).toEqual([
      {
        path: join(root, 'work', 'api'), project: 'acme-api', client: null, stack: ['python'], stackDetected: false, phase: null, tags: [],
        policy: { exclude: ['*.psd', '*.mp4'], keepIgnoredSecrets: true },
      },
      {
        path: join(root, 'work', 'web'), project: 'web', client: 'Acme', stack: ['node'], stackDetected: true, phase: 'active', tags: ['frontend'],
        policy: { exclude: ['*.psd', '*.mp4'], keepIgnoredSecrets: true, include: ['dist/**'] },
      },
    ]);
    expect(projectOf(projects, join(root, 'work', 'web', 'src', 'deep', 'x.ts'))?.project).toBe('web');
    expect(projectOf(projects, join(root, 'work', 'other'))).toBeUndefined();
  });

  it('works without any config file, and finds the user file in XDG_CONFIG_HOME', async () => {
    const root = await tempDir();
    const config = await loadConfig({ dir: root, userConfig: null });
    expect(config).toEqual({ files: [], vcs: 'full', policy: {}, projects: [] });
    expect(userConfigPath({ XDG_CONFIG_HOME: '/xdg' })).toBe('/xdg/cairn/config.json');
    expect(userConfigPath({})).toBe(join(homedir(), '.config', 'cairn', 'config.json'));
    const viaEnv = await writeJson(userConfigPath(), { projects: [{ path: '~/code/site', tags: ['personal'] }] });
    const loaded = await loadConfig({ dir: root });
    expect(loaded.files).toEqual([viaEnv]);
    expect(loaded.projects[0]?.path).toBe(join(homedir(), 'code', 'site'));
  });

  it('names the file, the key path and what was expected', async () => {
    const root = await tempDir();
    const file = await writeJson(join(root, 'cairn.config.json'), {
      projects: [{ path: 'a' }, { path: 'b' }, { path: 'c', phase: 3 }],
    });
    const error = await rejection(readConfigFile(file));
    expect(error.code).toBe('ERR_FORMAT');
    expect(error.message).toBe(`${file}: projects[2].phase must be a string`);
    expect((await rejection(loadConfig({ dir: root, userConfig: null }))).message).toContain('projects[2].phase must be a string');
  });

  it('reports every kind of mistake', () => {
    expect(configErrors([])).toEqual(['the content must be a JSON object']);
    expect(configErrors({
      vcs: 'partial',
      colour: 'red',
      policy: { presets: ['cobol'], include: 'x', gitignore: 'yes', skipClasses: ['junk'], typo: 1 },
      projects: [{ tags: 'a', stack: [1] }, 'x'],
    })).toEqual([
      'colour is not a known key (expected one of: $schema, vcs, policy, projects)',
      'vcs must be "full" or "changes"',
      'policy.typo is not a known key (expected one of: presets, gitignore, keepIgnoredSecrets, secrets, include, exclude, skipClasses)',
      'policy.presets must be true, false or an array of stack names (node, rust, python, go, java, dotnet, cmake)',
      'policy.gitignore must be true or false',
      'policy.include must be an array of non-empty glob strings',
      'policy.skipClasses must be an array of file classes (source, config, asset, generated, dependency)',
      'projects[0].stack must be an array of strings',
      'projects[0].tags must be an array of strings',
      'projects[1] must be an object',
    ]);
    expect(configErrors({ projects: {} })).toEqual(['projects must be an array']);
  });

  it('points at the line and column of broken JSON', async () => {
    const root = await tempDir();
    const file = join(root, 'cairn.config.json');
    await writeFile(file, '{\n  "vcs": "full",\n  "projects": [,]\n}\n');
    const error = await rejection(readConfigFile(file));
    expect(error.code).toBe('ERR_FORMAT');
    expect(error.message).toMatch(new RegExp(`^${file}: not valid JSON at line 3, column 16`));
    await writeFile(file, '{\n  "vcs": "full",\n}\n');
    expect((await rejection(readConfigFile(file))).message).toMatch(/not valid JSON at line 3, column 1 /);
    expect(await readConfigFile(join(root, 'absent.json'))).toBeNull();
  });
});
