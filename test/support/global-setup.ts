import { execFileSync } from 'node:child_process';

/** Tests that spawn the real entry point run the compiled build, as `npm start` does. */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
