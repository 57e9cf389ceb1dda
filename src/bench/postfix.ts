// A throwaway Postfix instance on loopback, used as the baseline in benchmarks and as an
// independent MTA in integration tests. Runs Debian's postfix from a private config and queue
// directory (no chroot, no system files touched). Requires root (Postfix's master drops privileges).
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface PostfixInstance {
  dir: string;
  port: number;
  stop(): void;
}

function postfixUid(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postfix:'));
  if (!line) throw new Error('postfix user not found: install Debian postfix (scripts/install-test-deps.sh)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Starts Postfix listening on 127.0.0.1:port and relaying everything to [127.0.0.1]:relayPort. */
export function startPostfix(port: number, relayPort: number, extra: Record<string, string> = {}): PostfixInstance {
  if (userInfo().uid !== 0) throw new Error('the Postfix baseline must run as root');
  const dir = mkdtempSync(join(tmpdir(), 'sg-postfix-'));
  chmodSync(dir, 0o755); // master drops to the postfix user and must traverse this folder
  const etc = join(dir, 'etc');
  mkdirSync(etc);
  mkdirSync(join(dir, 'queue'));
  mkdirSync(join(dir, 'data'));
  const { uid, gid } = postfixUid();
  chownSync(join(dir, 'data'), uid, gid);
  const main: Record<string, string> = {
    compatibility_level: '3.6',
    queue_directory: join(dir, 'queue'),
    data_directory: join(dir, 'data'),
    command_directory: '/usr/sbin',
    daemon_directory: '/usr/lib/postfix/sbin',
    shlib_directory: '/usr/lib/postfix',
    meta_directory: '/etc/postfix',
    mail_owner: 'postfix',
    setgid_group: 'postdrop',
    inet_interfaces: '127.0.0.1',
    inet_protocols: 'ipv4',
    myhostname: 'baseline.localhost',
    mydestination: '',
    local_recipient_maps: '',
    alias_maps: '',
    alias_database: '',
    relayhost: `[127.0.0.1]:${relayPort}`,
    mynetworks: '127.0.0.0/8',
    smtpd_relay_restrictions: 'permit_mynetworks, reject',
    maillog_file: join(dir, 'maillog'),
    maillog_file_prefixes: dir,
    smtp_tls_security_level: 'none',
    smtpd_tls_security_level: 'none',
    ...extra,
  };
  writeFileSync(join(etc, 'main.cf'), Object.entries(main).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
  // Debian's master.cf with chroot off, the public smtpd moved to our loopback port, and postlogd kept
  // for maillog_file.
  const master = readFileSync('/etc/postfix/master.cf', 'utf8')
    .split('\n')
    .map((l) => {
      if (/^smtp\s+inet\s/.test(l)) return `127.0.0.1:${port} inet n - n - - smtpd`;
      const f = l.split(/\s+/);
      if (/^[a-z]/.test(l) && f.length >= 8) {
        f[4] = 'n';
        return f.join(' ');
      }
      return l;
    })
    .join('\n');
  writeFileSync(join(etc, 'master.cf'), master);
  const r = spawnSync('/usr/sbin/postfix', ['-c', etc, 'start'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`postfix start failed: ${r.stderr || r.stdout}`);
  return {
    dir,
    port,
    stop() {
      spawnSync('/usr/sbin/postfix', ['-c', etc, 'stop'], { encoding: 'utf8' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
