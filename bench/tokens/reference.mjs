// Counts every file of corpus/ with public tokenizers and writes reference.json, which the estimator's accuracy
// test and report read. Run: npm install && node reference.mjs   (from this folder)
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { countTokens as claudeLegacy } from '@anthropic-ai/tokenizer';
import { encode as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as o200k } from 'gpt-tokenizer/encoding/o200k_base';

const require = createRequire(import.meta.url);
const version = (name) => require(`${name}/package.json`).version;

const files = {};
for (const category of readdirSync('corpus').sort()) {
  for (const name of readdirSync(join('corpus', category)).sort()) {
    const path = `${category}/${name}`;
    const text = readFileSync(join('corpus', path), 'utf8');
    files[path] = {
      bytes: Buffer.byteLength(text, 'utf8'),
      claude_legacy: claudeLegacy(text),
      cl100k: cl100k(text).length,
      o200k: o200k(text).length,
    };
  }
}

const reference = {
  tokenizers: {
    claude_legacy: `@anthropic-ai/tokenizer ${version('@anthropic-ai/tokenizer')} (Claude's tokenizer before Claude 3)`,
    cl100k: `gpt-tokenizer ${version('gpt-tokenizer')} cl100k_base`,
    o200k: `gpt-tokenizer ${version('gpt-tokenizer')} o200k_base`,
  },
  files,
};
writeFileSync('reference.json', JSON.stringify(reference, null, 2) + '\n');
console.log(`${Object.keys(files).length} files counted`);
