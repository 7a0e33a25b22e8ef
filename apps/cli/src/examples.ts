import type { Command } from 'commander';
import { commandPath, walkCommands } from './command-tree.js';

/**
 * Examples for every command, keyed by its words after `cairn` ("" is cairn itself).
 * Each shows up under "Examples:" in the command's help and in docs/CLI.md; the first one
 * of each is the README's. A command without an entry gets none (the CLI test names it).
 */
export const EXAMPLES: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  '': [
    ['cairn backup ~/projects/acme', 'back up a folder into the default repository'],
    ['cairn help restore', 'what a command takes, with examples'],
  ],
  init: [
    ['cairn init --repo /mnt/usb/cairn', 'create a repository on a USB disk'],
    ['cairn init --repo /mnt/usb/cairn --max-size 50%', 'one that keeps under half of its filesystem'],
    ['cairn init --repo /mnt/usb/cairn --encryption aes-256-gcm', 'an encrypted one (the password is asked for twice)'],
    ['CAIRN_PASSWORD_COMMAND="pass show cairn" cairn init --repo /mnt/usb/cairn', 'a password given makes it encrypted'],
  ],
  backup: [
    ['cairn backup ~/projects/acme --tag nightly', 'back up a folder (the first backup creates the default repository)'],
    ['cairn backup ~/projects/acme --vcs changes', 'store only what the git/hg/svn remote lacks'],
    ['cairn backup ~/projects/acme --dry-run', 'what a backup would store and skip; writes nothing'],
    ['pg_dump acme | cairn backup --stdin --stdin-filename acme.sql', 'a stream as one file'],
    ['cairn -q backup ~/projects/acme', 'for cron: print nothing unless something fails'],
  ],
  snapshots: [
    ['cairn snapshots', 'list every snapshot, oldest first'],
    ['cairn snapshots --tag nightly --host laptop', 'only some of them'],
    ['cairn snapshots --latest 1 --group-by host,paths --compact', 'the newest of each host and paths'],
  ],
  projects: [['cairn projects', 'projects, clients, stacks, last backup and size']],
  ls: [
    ['cairn ls latest acme/src -l', 'what the newest snapshot holds below acme/src'],
    ['cairn ls 3fa2 --no-recursive', 'the top folder of a snapshot, by id prefix'],
  ],
  diff: [
    ['cairn diff 3fa2 latest', 'what changed between a snapshot and the newest one'],
    ['cairn diff 3fa2:acme/src 9c41:acme/src --content', 'below one folder, with a unified diff of each changed text file'],
    ['cairn diff 3fa2 9c41 --stat', 'bytes added and removed per entry'],
  ],
  find: [
    ['cairn find config.json', 'every config.json in every snapshot, each version once'],
    ["cairn find -i '*.env' 'src/**/*.pem' --host laptop", 'globs at any depth, without regard to case, in one host\'s snapshots'],
    ["cairn find '/acme/src/*.ts' --newest 2026-12-01", 'a path from the snapshot root, modified by that day'],
    ['cairn find --blob 420f620f', 'which files hold a data blob (--tree: a folder listing, --pack: anything in a pack)'],
  ],
  restore: [
    ['cairn restore latest --target /tmp/back', 'restore the newest snapshot into /tmp/back'],
    ["cairn restore latest --target /tmp/back acme/src '*.md'", 'only some paths (globs without "/" match at any depth)'],
    ['cairn restore 3fa2 --target /tmp/back --dry-run', 'say what would be written'],
  ],
  versions: [
    ['cairn versions acme/config/app.yml', 'every distinct version of a file, oldest first, with the snapshots holding each'],
    ['cairn versions acme/config/app.yml --restore v2', 'put version 2 back as app.yml.<content id> in the current folder'],
    ['cairn versions ~/projects/acme/config/app.yml --restore 3fa2c1d0 --target /tmp/app.yml', 'the version a snapshot holds, to a file of your choice'],
    ['cairn versions ~/data.db --verify', 'read every version back and check it against its checksums'],
  ],
  protect: [
    ['cairn protect data.db --reason "before the schema migration"', 'keep a version of a file before a program changes it'],
    ['cairn protect src/app.ts src/util.ts --keep 20 --tool codemod', 'several files at once, keeping the last 20 versions of each'],
  ],
  rollback: [
    ['cairn rollback data.db', 'put back the newest protected version (what is there now is protected first)'],
    ['cairn rollback data.db --to v2', 'a version by its number in `cairn versions data.db`'],
  ],
  dump: [
    ['cairn dump latest:acme/db/schema.sql', "one file's bytes on stdout"],
    ['cairn dump 3fa2 acme/logo.png > logo.png', 'restic style: snapshot and path apart'],
    ['cairn dump latest:acme/data.bin | sha256sum', 'works in a pipe'],
    ['cairn dump latest --archive tar > all.tar', 'the whole snapshot as one tar (modes, times, links, xattrs)'],
    ['cairn dump latest acme/src acme/docs --archive zip -o acme.zip', 'several folders as one zip file'],
  ],
  import: [
    ['cairn import site.tar.zst --prefix /srv/www --host web1', 'an archive as a snapshot of /srv/www on web1'],
    ['ssh web1 tar -c -C /srv www | cairn import - --tag web', 'straight from a pipe'],
  ],
  check: [
    ['cairn check', 'verify the index, pack headers, snapshots and trees'],
    ['cairn check --read-data-subset 10%', 'also read a tenth of the data'],
  ],
  cat: [
    ['cairn cat snapshot latest', 'the newest snapshot as JSON'],
    ['cairn cat config', "the repository's settings"],
  ],
  grep: [
    ["cairn grep -n 'eval\\(' '*.js'", 'every line calling eval in the JavaScript files of every snapshot'],
    ['cairn grep -F --introduced "eval(" --host laptop', 'when each file first held it (and --removed: when it went away)'],
  ],
  stats: [
    ['cairn stats', 'sizes, compression and deduplication of the repository'],
    ['cairn stats latest', 'what the newest backup stored, by file class'],
  ],
  forget: [
    ['cairn forget --keep-daily 7 --keep-weekly 4 --dry-run', 'which rule keeps what'],
    ['cairn forget --keep-last 10 --prune', 'forget, then free what is no longer used'],
    ['cairn forget 3fa2c1d0', 'one snapshot, by id'],
  ],
  prune: [
    ['cairn prune', 'delete data no snapshot uses (what a prune marks waits an hour)'],
    ['cairn prune --grace 0', 'free it now, when no other process writes to the repository'],
  ],
  copy: [
    ['cairn copy --repo /mnt/usb/cairn --from-repo sftp:backup@nas:/srv/cairn', 'every snapshot the NAS holds and the disk lacks'],
    ['cairn copy --repo /mnt/usb/cairn --from-repo /srv/cairn --host laptop latest', 'the newest snapshot of one host'],
    ['CAIRN_FROM_PASSWORD_COMMAND="pass show nas" cairn copy --from-repo s3:s3.amazonaws.com/bucket --tag keep', 'from an encrypted repository, the snapshots tagged keep'],
  ],
  tag: [
    ['cairn tag latest --add keep', 'add a tag to the newest snapshot (it gets a new id)'],
    ['cairn tag 1a2b3c4d --remove daily --add weekly', 'change the tags of one snapshot'],
    ['cairn tag --host laptop --tag nightly --set nightly,archived', 'every snapshot the filters select'],
  ],
  repair: [['cairn repair index', 'rebuild the index from the pack headers']],
  'repair index': [['cairn repair index', 'rebuild the index from the pack headers']],
  'repair snapshots': [
    ['cairn repair snapshots --dry-run', 'which snapshots lost data'],
    ['cairn repair snapshots', 'write mended copies of them'],
  ],
  key: [['cairn key list', 'the key files of an encrypted repository']],
  'key list': [['cairn key list', 'the key files; * marks the one the password opened']],
  'key add': [['CAIRN_NEW_PASSWORD_COMMAND="pass show cairn-2" cairn key add', 'another password that opens the repository']],
  'key remove': [['cairn key remove 3fa2', 'remove a key file by an id prefix (never the last one)']],
  'key passwd': [['cairn key passwd', 'change the password in use (asked for twice)']],
  unlock: [
    ['cairn unlock', 'remove locks of processes that are gone'],
    ['cairn unlock --remove-all', 'remove every lock (only when no cairn runs on the repository)'],
  ],
  serve: [
    ['cairn serve --repo /srv/cairn --listen 0.0.0.0:8000 --append-only --htpasswd /srv/cairn.htpasswd', 'let laptops add backups over the network (use it as rest:http://user:pass@server:8000/), never delete them'],
    ['cairn serve --repo /srv/cairn --tls-cert cert.pem --tls-key key.pem', 'serve https on 127.0.0.1:8000'],
  ],
  ui: [
    ['cairn ui', 'browse, diff, search and restore in a browser: open the printed URL (it holds the token)'],
    ['cairn ui --open --restore-root ~/restored', 'open the page at once; restores may only write below ~/restored'],
    ['CAIRN_UI_PASSWORD_COMMAND="pass show cairn-ui" cairn ui --listen 0.0.0.0:8080', 'reachable from the network, behind a password (user "cairn")'],
  ],
  config: [['cairn config', 'show the size limit and the stored retention policy']],
  'config max-size': [
    ['cairn config max-size 20G', 'keep the repository under 20G'],
    ['cairn config max-size none', 'no size limit'],
  ],
  'config retention': [['cairn config retention --keep-daily 7 --keep-weekly 4', 'store the policy forget and the size limit apply']],
  device: [['cairn device ls --port /dev/ttyACM0', 'what is on a board plugged in over USB']],
  'device backup': [
    ['cairn device backup --port /dev/ttyACM0 --tag pico', "snapshot a board's filesystem"],
    ['cairn device backup --port tcp:192.168.1.50:23 --path /lib', 'one folder of a board behind a network bridge'],
  ],
  'device restore': [
    ['cairn device restore latest --port /dev/ttyACM0', 'put the newest snapshot back on the board'],
    ['cairn device restore latest --port /dev/ttyACM0 --path lib --dry-run', 'count what would be written'],
  ],
  'device ls': [
    ['cairn device ls --port /dev/ttyACM0 -l', 'the files on a board, with sizes'],
    ['cairn device ls --port sim --sim-root ./board', 'a simulated board whose flash is the folder ./board'],
  ],
  daemon: [
    ['cairn daemon', 'run every plan of ~/.config/cairn/plans.json in the foreground'],
    ['cairn daemon --plans ./plans.json --log ./cairn.log', 'another plans file and log'],
  ],
  'daemon install': [
    ['cairn daemon install', 'a systemd user unit that runs the daemon at login'],
  ],
  'daemon uninstall': [
    ['cairn daemon uninstall', 'remove the unit (after systemctl --user disable --now cairn-daemon)'],
  ],
  watch: [
    ['cairn watch ~/src/acme --settle 30s', 'back up a folder into the repository whenever its edits settle'],
    ['cairn watch --plan code', 'watch a plan of the plans file, whatever its trigger'],
  ],
  status: [
    ['cairn status', 'each plan: last run, next run, failures, repository size'],
    ['cairn status --json --no-size || alert', 'for a monitor: exit 1 when a plan is overdue'],
  ],
  version: [
    ['cairn version', 'the version of cairn, Node.js and the platform'],
    ['cairn version --json', 'the same as JSON'],
  ],
  completion: [
    ['source <(cairn completion bash)', 'completion in this bash session (add it to ~/.bashrc to keep it)'],
    ['cairn completion zsh > "${fpath[1]}/_cairn"', 'install it for zsh'],
    ['cairn completion fish > ~/.config/fish/completions/cairn.fish', 'install it for fish'],
  ],
  help: [
    ['cairn help backup', 'the flags of backup, with examples'],
    ['cairn help device backup', 'the same for a command of a command'],
  ],
};

/** The examples of `command`, as its help prints them (empty when it has none). */
export function examplesText(command: Command): string {
  const examples = EXAMPLES[commandPath(command).join(' ')] ?? [];
  if (examples.length === 0) return '';
  const width = Math.max(...examples.map(([line]) => line.length));
  const lines = examples.map(([line, what]) => `  $ ${line.padEnd(width)}  # ${what}`);
  return `\nExamples:\n${lines.join('\n')}`;
}

/** Adds an "Examples:" block after the help of every command that has examples (run once, after registration). */
export function attachExamples(program: Command): void {
  for (const command of walkCommands(program)) {
    const text = examplesText(command);
    if (text !== '') command.addHelpText('after', text);
  }
}
