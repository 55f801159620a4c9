# metalfrr: one image for every role (operator, controller, speaker, frr-agent, webhook); FRR included
# for the frr-k8s agent. Built by CI; `docker build -t ghcr.io/metalfrr/metalfrr:<version> .`

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts
COPY operator/ operator/
COPY webhooks/ webhooks/
COPY e2e/ e2e/
COPY bench/ bench/
RUN npm run build

FROM node:20-bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends frr frr-pythontools iproute2 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist/ dist/
COPY crds/ crds/
COPY templates/ templates/
ENTRYPOINT ["node", "/app/dist/operator/cli/bin.js"]
