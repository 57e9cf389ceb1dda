// The `sealgate` command line. Every command has --help; failures print one clear message naming
// the file and the problem, and exit non-zero (2 for configuration errors).
import { Command, CommanderError } from 'commander';
import { registerCoreCommands } from './commands.js';
import { registerSmimeCommands } from './smime.js';
import { registerPolicyCommands } from './policy.js';

const program = new Command();
program
  .name('sealgate')
  .description('Secure email gateway for healthcare: hardened SMTP relay, PHI policy, domain S/MIME, certificate directory.')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

registerCoreCommands(program);
registerSmimeCommands(program);
registerPolicyCommands(program);
(await import('./cert.js')).registerCertCommands(program);
(await import('./partner.js')).registerPartnerCommands(program);
(await import('./pgp.js')).registerPgpCommands(program);
(await import('./pending.js')).registerPendingCommands(program);
(await import('./user.js')).registerUserCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.stderr.write(`sealgate: ${(err as Error).message}\n`);
  process.exit(1);
}
