{{/* Chart name, overridable. */}}
{{- define "metalfrr.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Prefix of object names: the release name, or release-chart when it does not contain the chart name. */}}
{{- define "metalfrr.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of the operator's Deployment, ServiceAccount and RBAC objects. */}}
{{- define "metalfrr.operatorName" -}}
{{- printf "%s-operator" (include "metalfrr.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of the operator's objects (also its pod selector). */}}
{{- define "metalfrr.labels" -}}
app.kubernetes.io/name: {{ include "metalfrr.name" . }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* The image the operator runs and hands to its operands. */}}
{{- define "metalfrr.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The MetalLB resource's bgpBackend; empty means frr-k8s. */}}
{{- define "metalfrr.bgpBackend" -}}
{{- if .Values.bgpBackend -}}
{{- .Values.bgpBackend -}}
{{- else if .Values.speaker.frr.enabled -}}
frr
{{- else if and .Values.frrk8s.enabled .Values.frrk8s.external -}}
frr-k8s-external
{{- else if not .Values.frrk8s.enabled -}}
native
{{- end -}}
{{- end -}}

{{/* Whether the operator deploys frr-k8s in the release namespace ("true" or empty). */}}
{{- define "metalfrr.frrk8sDeployed" -}}
{{- $backend := include "metalfrr.bgpBackend" . -}}
{{- if or (eq $backend "") (eq $backend "frr-k8s") -}}
true
{{- end -}}
{{- end -}}

{{/* The operand pods that serve metrics: name, pod labels (app, component), values key, metrics port, and the
named container ports scraped (`monitoring`; in frr/native mode also the speaker's frr-agent sidecar port
`frrmetrics`, 7573, serving metallb_bgp_* / metallb_bfd_*). */}}
{{- define "metalfrr.metricsTargets" -}}
{{- $backend := include "metalfrr.bgpBackend" . -}}
{{- $monitoring := dict "name" "monitoring" "port" .Values.prometheus.metricsPort -}}
{{- $speakerPorts := list $monitoring -}}
{{- if or (eq $backend "frr") (eq $backend "native") -}}
{{- $speakerPorts = append $speakerPorts (dict "name" "frrmetrics" "port" 7573) -}}
{{- end -}}
{{- $targets := list (dict "name" "controller" "app" "metallb" "component" "controller" "key" "controller" "port" .Values.prometheus.metricsPort "ports" (list $monitoring)) (dict "name" "speaker" "app" "metallb" "component" "speaker" "key" "speaker" "port" .Values.prometheus.metricsPort "ports" $speakerPorts) -}}
{{- if include "metalfrr.frrk8sDeployed" . -}}
{{- $targets = append $targets (dict "name" "frr-k8s" "app" "frr-k8s" "component" "frr-k8s" "key" "frrk8s" "port" 7572 "ports" (list (dict "name" "monitoring" "port" 7572))) -}}
{{- end -}}
{{- toYaml $targets -}}
{{- end -}}
