# soap-bridge: a small production image. Build: docker build -t soap-bridge .
# Run the demo bundles:  docker run -p 8080:8080 soap-bridge
# Your own bundles:      docker run -p 8080:8080 -v "$PWD/services:/services:ro" soap-bridge

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
# Scripts are skipped here (prepare would compile the tests); the server is built below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    SERVICES_DIR=/services \
    WORKERS=1
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# The web console's page and assets (served from src/console/public).
COPY --from=build /app/src/console/public ./src/console/public
# The example bundles; mount your own folder of bundles over /services.
COPY wsdl /services
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=2s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve"]
