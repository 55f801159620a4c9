# metalfrr: one image for every role (operator, controller, speaker, frr-agent, webhook); FRR included
# for the frr-k8s agent. Built by CI; `docker build -t ghcr.io/metalfrr/metalfrr:<version> .`

FROM node:20-bookworm-slim AS build
# libpcap-dev and a compiler: the npm package cap (raw ARP/NDP frames of the L2 responder) is built by node-gyp
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpcap-dev python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts && npm rebuild cap
COPY operator/ operator/
COPY webhooks/ webhooks/
COPY e2e/ e2e/
COPY bench/ bench/
RUN npm run build

FROM node:20-bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends frr frr-pythontools iproute2 libpcap0.8 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# production dependencies from the build stage (cap's native module is built there)
COPY --from=build /src/node_modules/ node_modules/
RUN npm prune --omit=dev && npm cache clean --force
COPY --from=build /src/dist/ dist/
COPY crds/ crds/
COPY templates/ templates/
ENTRYPOINT ["node", "/app/dist/operator/cli/bin.js"]
