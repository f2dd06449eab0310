# target-bot: build once, run the bundle (npm run start:prod) as a non-root user.
# CI cannot build images on its machine (no Docker daemon); .ci/run runs these same steps instead (npm ci,
# npm run build, the built service started as CMD starts it, /healthz 200).

# ---- build: every dependency, the Prisma client (postinstall), the bundle in dist/
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

# ---- runtime: production dependencies, the bundle, and the files it reads at run time
FROM node:20-bookworm-slim
# Chinese glyphs for the weekly digest's chart image (without them the digest goes out as text only).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production PORT=3000 DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Read at run time: migrations (applied at start), holiday overrides, the dashboard's assets and browser sources.
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/config ./config
COPY --from=build /app/src ./src
COPY --from=build /app/cards ./cards
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# What `npm run start:prod` runs, without npm in between (node receives SIGTERM itself and stops cleanly).
CMD ["node", "--enable-source-maps", "dist/main.js"]
