// vitest globalSetup: one emulator for the whole run; its URL goes to every test file through provide/inject.
import { startEmulator } from 'cf-zt-risk-emulator';
import type { TestProject } from 'vitest/node';

export default async function setup(project: TestProject) {
  const emulator = await startEmulator({ port: 0, databasePath: ':memory:', logLevel: 'warn' });
  project.provide('emulatorApiUrl', emulator.apiUrl);
  return () => emulator.close();
}

declare module 'vitest' {
  export interface ProvidedContext {
    emulatorApiUrl: string;
  }
}
