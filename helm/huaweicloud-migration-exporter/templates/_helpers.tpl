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

{{/* The exporter's config file: `config` as given, plus the accounts, whose credentials are
files mounted from Secrets, never inlined. */}}
{{- define "hwmig.config" -}}
{{- $config := deepCopy .Values.config -}}
{{- $log := deepCopy (default dict $config.log) -}}
{{- $_ := set $log "format" (default "json" $log.format) -}}
{{- $_ := set $config "log" $log -}}
{{- $accounts := list -}}
{{- range .Values.accounts -}}
{{- $dir := printf "/etc/hwmig/credentials/%s" .name -}}
{{- $given := .credentials -}}
{{- $files := dict -}}
{{- if eq (default "aksk" $given.type) "password" -}}
{{- $_ := set $files "username" (required "accounts[].credentials.username is required for type password" $given.username) -}}
{{- $_ := set $files "domain_name" (required "accounts[].credentials.domainName is required for type password" $given.domainName) -}}
{{- $_ := set $files "password_file" (printf "%s/password" $dir) -}}
{{- else -}}
{{- $_ := set $files "access_key_file" (printf "%s/access_key" $dir) -}}
{{- $_ := set $files "secret_key_file" (printf "%s/secret_key" $dir) -}}
{{- if $given.securityToken -}}
{{- $_ := set $files "security_token_file" (printf "%s/security_token" $dir) -}}
{{- end -}}
{{- end -}}
{{- $accounts = append $accounts (set (omit . "credentials") "credentials" $files) -}}
{{- end -}}
{{- $_ := set $config "accounts" $accounts -}}
{{- toYaml $config -}}
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
      {{- if or .Values.sharding.enabled .Values.extraEnv }}
      env:
        {{- if .Values.sharding.enabled }}
        # The pod name ends in the StatefulSet ordinal, which is this replica's shard.
        - name: HWMIG_SHARD
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
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
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
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
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
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
