# Build with the dev dependencies, run with the production ones only, as a non-root user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The `prepare` script (the build) waits until the sources are here.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# No scripts: `prepare` would build, and the build comes from the stage above (no compiler here).
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# The CLI on the PATH: `docker compose exec resetd resetd status`.
RUN chmod +x dist/src/cli/cli.js && ln -s /app/dist/src/cli/cli.js /usr/local/bin/resetd
USER node
EXPOSE 9464
# On the port the service listens on: OPS_HTTP_PORT as the service reads it (unset or blank: 9464);
# 0 turns the port off, and the check with it (healthy while the process runs).
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD node -e "const p=(process.env.OPS_HTTP_PORT||'').trim()||'9464';if(p==='0')process.exit(0);fetch('http://127.0.0.1:'+p+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The heap flags are those of `npm start` (see README, Performance): the live heap is about 25 MB,
# and without a ceiling V8 lets garbage reach about 100 MB before its first full collection.
CMD ["node", "--max-old-space-size=96", "--max-semi-space-size=8", "--heap-growing-percent=60", "--no-allocation-site-pretenuring", "dist/src/app/main.js"]
