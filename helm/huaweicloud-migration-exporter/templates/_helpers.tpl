{{/* Chart name, truncated for label values. */}}
{{- define "hwmig.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified app name. */}}
{{- define "hwmig.fullname" -}}
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

{{- define "hwmig.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "hwmig.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "hwmig.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hwmig.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "hwmig.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "hwmig.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding one account's credentials. */}}
{{- define "hwmig.secretName" -}}
{{- $account := index . 0 -}}
{{- $root := index . 1 -}}
{{- if $account.credentials.existingSecret -}}
{{- $account.credentials.existingSecret -}}
{{- else -}}
{{- printf "%s-%s" (include "hwmig.fullname" $root) ($account.name | lower | replace "_" "-" | replace ":" "-") | trunc 63 | trimSuffix "-" | trimSuffix "." -}}
{{- end -}}
{{- end -}}

{{/* The volume of one account's credentials: a DNS label. */}}
{{- define "hwmig.credentialsVolume" -}}
{{- printf "credentials-%s" .name | lower | replace "_" "-" | replace "." "-" | replace ":" "-" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The exporter's config file: secrets referenced as mounted files, never inlined. */}}
{{- define "hwmig.config" -}}
poll_interval_seconds: {{ .Values.config.pollIntervalSeconds }}
{{- with .Values.config.staleAfterSeconds }}
stale_after_seconds: {{ . }}
{{- end }}
sms_speed_unit: {{ .Values.config.smsSpeedUnit }}
max_tasks_per_source: {{ .Values.config.maxTasksPerSource }}
label_value_max_length: {{ .Values.config.labelValueMaxLength }}
collect:
  subtasks: {{ .Values.config.collect.subtasks }}
  network_check: {{ .Values.config.collect.networkCheck }}
{{- with .Values.config.api }}
api:
  max_in_flight: {{ .maxInFlight }}
  requests_per_second: {{ .requestsPerSecond }}
  burst: {{ .burst }}
  timeout_seconds: {{ .timeoutSeconds }}
  auth_backoff_seconds: {{ .authBackoffSeconds }}
{{- end }}
log:
  level: {{ .Values.config.logLevel }}
  format: json
accounts:
{{- if not .Values.accounts }} []{{ end }}
{{- range .Values.accounts }}
  {{- $dir := printf "/etc/hwmig/credentials/%s" .name }}
  - name: {{ .name | quote }}
    region: {{ .region | quote }}
    {{- with .iamEndpoint }}
    iam_endpoint: {{ . | quote }}
    {{- end }}
    credentials:
      {{- if eq (default "aksk" .credentials.type) "password" }}
      username: {{ required "accounts[].credentials.username is required for type password" .credentials.username | quote }}
      domain_name: {{ required "accounts[].credentials.domainName is required for type password" .credentials.domainName | quote }}
      password_file: {{ printf "%s/password" $dir }}
      {{- else }}
      access_key_file: {{ printf "%s/access_key" $dir }}
      secret_key_file: {{ printf "%s/secret_key" $dir }}
      {{- if .credentials.securityToken }}
      security_token_file: {{ printf "%s/security_token" $dir }}
      {{- end }}
      {{- end }}
    sms:
      enabled: {{ if hasKey (default dict .sms) "enabled" }}{{ .sms.enabled }}{{ else }}true{{ end }}
      {{- with (default dict .sms).endpoint }}
      endpoint: {{ . | quote }}
      {{- end }}
      {{- with (default dict .sms).enterpriseProjectId }}
      enterprise_project_id: {{ . | quote }}
      {{- end }}
    {{- with .oms }}
    {{- if .projectId }}
    oms:
      project_id: {{ .projectId | quote }}
      {{- with .endpoint }}
      endpoint: {{ . | quote }}
      {{- end }}
    {{- end }}
    {{- end }}
{{- end }}
{{- end -}}

{{/* The pod template shared by the Deployment and the sharded StatefulSet. */}}
{{- define "hwmig.podTemplate" -}}
metadata:
  labels:
    {{- include "hwmig.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ include "hwmig.config" . | sha256sum }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "hwmig.serviceAccountName" . }}
  automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: exporter
      image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - --config.file=/etc/hwmig/config/config.yaml
        - --web.listen-address=:{{ .Values.service.port }}
        {{- if .Values.sharding.enabled }}
        - --total-shards={{ .Values.sharding.totalShards }}
        {{- end }}
      {{- if .Values.sharding.enabled }}
      env:
        # The pod name ends in the StatefulSet ordinal, which is this replica's shard.
        - name: HWMIG_SHARD
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
      {{- end }}
      ports:
        - name: metrics
          containerPort: {{ .Values.service.port }}
          protocol: TCP
      livenessProbe:
        httpGet:
          path: /healthz
          port: metrics
        periodSeconds: 20
        timeoutSeconds: 5
      readinessProbe:
        httpGet:
          path: /readyz
          port: metrics
        periodSeconds: 10
        timeoutSeconds: 5
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/hwmig/config
          readOnly: true
        - name: tmp
          mountPath: /tmp
        {{- range .Values.accounts }}
        - name: {{ include "hwmig.credentialsVolume" . }}
          mountPath: {{ printf "/etc/hwmig/credentials/%s" .name }}
          readOnly: true
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "hwmig.fullname" . }}
    - name: tmp
      emptyDir:
        sizeLimit: 16Mi
    {{- range .Values.accounts }}
    - name: {{ include "hwmig.credentialsVolume" . }}
      secret:
        secretName: {{ include "hwmig.secretName" (list . $) }}
        defaultMode: 0440
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
