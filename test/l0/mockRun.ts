// One env-driven mock run of the task's tsc output (MockTestRunner executes this file in a child process).
// PAT_L0_INPUTS holds the inputs as JSON; everything else (CA, endpoints) comes through the environment.
import * as path from 'node:path';
import { TaskMockRunner } from 'azure-pipelines-task-lib/mock-run';

const runner = new TaskMockRunner(path.resolve(__dirname, '..', '..', 'tasks', 'PatLifecycleV1', 'src', 'index.js'));
const inputs = JSON.parse(process.env.PAT_L0_INPUTS ?? '{}') as Record<string, string>;
for (const [name, value] of Object.entries(inputs)) runner.setInput(name, value);
runner.run();
