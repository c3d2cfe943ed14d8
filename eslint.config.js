import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'outbox/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The domain is the policy alone: no library, no adapter, no ambient time or randomness.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!\\./)', message: 'src/domain imports only its own modules.' }] }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Ask the Clock port.' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Ask the Random port.' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Ask the Clock port.' },
      ],
    },
  },
  {
    // Adapters translate between the domain's ports and a technology; the application wires them, never the reverse.
    files: ['src/adapters/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+(app|cli|client)/', message: 'src/adapters imports the domain, the contract and libraries only.' }] }] },
  },
  {
    // The wire contract is shared by the service and its clients: it depends on no layer of either.
    files: ['src/contract/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./', message: 'src/contract imports only its own modules and libraries.' }] }] },
  },
  {
    // The client ships to other services: it may lean on the contract, never on the service's insides.
    files: ['src/client/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./(?!contract/)', message: 'src/client imports only src/contract.' }] }] },
  },
  {
    // The CLI is the package's command: the client for what it asks, the environment adapter for how
    // it connects. Of src/app it loads only the process entry, which `resetd start` runs.
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./app/(?!main\\.js$)', message: 'src/cli may load src/app/main.js (`resetd start`) and nothing else of src/app: nothing imports the composition root.' }] }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: { 'no-console': 'error' },
  },
);
