import { describe, expect, it } from 'vitest';
import { rewriteUrl, stripCredentials } from '../src/url.js';

describe('stripCredentials', () => {
  it.each([
    ['https://alice:hunter2@git.example.com/app.git', 'https://git.example.com/app.git'],
    ['https://ghp_0123456789abcdef@github.com/o/r.git', 'https://github.com/o/r.git'],
    ['http://x-access-token:abc@host:8080/r', 'http://host:8080/r'],
    ['https://gitlab.example.com/r.git?private_token=abc&ref=main#frag', 'https://gitlab.example.com/r.git?ref=main#frag'],
    ['https://host/r.git?access_token=abc', 'https://host/r.git'],
    ['ssh://git:secret@host.example.com:2222/r.git', 'ssh://git@host.example.com:2222/r.git'],
    ['svn+ssh://bob:pw@svn.example.com/repo/trunk', 'svn+ssh://bob@svn.example.com/repo/trunk'],
    ['svn://bob:pw@svn.example.com/repo', 'svn://svn.example.com/repo'],
    ['git@github.com:owner/repo.git', 'git@github.com:owner/repo.git'],
    ['deploy:t0ken@host.example.com:repo.git', 'deploy@host.example.com:repo.git'],
    ['/srv/git/app.git', '/srv/git/app.git'],
    ['file:///srv/svn/repo', 'file:///srv/svn/repo'],
    ['../relative/repo', '../relative/repo'],
  ])('%s -> %s', (url, expected) => {
    expect(stripCredentials(url)).toBe(expected);
  });

  it('rejects a non-string', () => {
    expect(() => stripCredentials(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('rewriteUrl', () => {
  const rewrites = [
    { from: 'https://old.example/', to: 'https://new.example/' },
    { from: 'https://old.example/team/', to: 'git@new.example:team/' },
  ];
  it.each([
    ['https://old.example/app.git', 'https://new.example/app.git'],
    // The longest match wins, as among git's insteadOf rules.
    ['https://old.example/team/app.git', 'git@new.example:team/app.git'],
    // A URL with credentials is matched without them.
    ['https://tok3n@old.example/app.git', 'https://new.example/app.git'],
    ['https://elsewhere.example/app.git', 'https://elsewhere.example/app.git'],
  ])('%s -> %s', (url, expected) => {
    expect(rewriteUrl(url, rewrites)).toBe(expected);
  });
});
