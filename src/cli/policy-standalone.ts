// Minimal `sealgate` program with only the policy command group, for the CLI tests (the real entry
// point is src/cli/main.ts, which calls the same registerPolicyCommands). Trust level: operator.
import { Command, CommanderError } from 'commander';
import { registerPolicyCommands } from './policy.js';

const program = new Command();
program.name('sealgate').description('Sealgate policy commands').showHelpAfterError().exitOverride();
registerPolicyCommands(program);
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.stderr.write(`sealgate: ${(err as Error).message}\n`);
  process.exit(1);
}
