/** Loaded before every test file (vitest.config.ts setupFiles). */
import { afterAll } from 'vitest';
import { runFileCleanups } from './helpers/cleanup.js';

afterAll(runFileCleanups);
