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
{{- if $given.provider -}}
{{- $_ := set $files "provider" $given.provider -}}
{{- range $key, $setting := dict "idpId" "idp_id" "providerUrn" "provider_urn" "agencyUrn" "agency_urn" "sessionName" "session_name" "durationSeconds" "duration_seconds" "stsEndpoint" "sts_endpoint" "metadataEndpoint" "metadata_endpoint" -}}
{{- if hasKey $given $key -}}
{{- $_ := set $files $setting (get $given $key) -}}
{{- end -}}
{{- end -}}
{{- if has $given.provider (list "oidc_federation" "oidc_sts") -}}
{{- $_ := set $files "id_token_file" "/var/run/secrets/hwmig/oidc/token" -}}
{{- end -}}
{{- else if eq (default "aksk" $given.type) "password" -}}
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

{{/* The web config (TLS, basic auth): "true" when the exporter serves TLS, said by
webConfig.tls (the chart cannot read an existingSecret) or seen in webConfig.content. */}}
{{- define "hwmig.webTLS" -}}
{{- if or .Values.webConfig.tls (get (default dict .Values.webConfig.content) "tls_server_config") -}}
true
{{- end -}}
{{- end -}}

{{/* "true" when the web config asks for basic auth: webConfig.basicAuth, or users in content. */}}
{{- define "hwmig.webBasicAuth" -}}
{{- if or .Values.webConfig.basicAuth (get (default dict .Values.webConfig.content) "basic_auth_users") -}}
true
{{- end -}}
{{- end -}}

{{/* The Secret holding web-config.yml: the given one, or the chart's from webConfig.content;
empty without a web config. Fails on values that would start a pod its probes or its
Prometheus cannot reach. */}}
{{- define "hwmig.webConfigSecret" -}}
{{- $web := .Values.webConfig -}}
{{- $content := default dict $web.content -}}
{{- if and $web.existingSecret $content -}}
{{- fail "webConfig: give existingSecret or content, not both" -}}
{{- end -}}
{{- if $content -}}
{{- if and $web.tls (not $content.tls_server_config) -}}
{{- fail "webConfig.tls is true but webConfig.content has no tls_server_config" -}}
{{- end -}}
{{- if and $web.basicAuth (not $content.basic_auth_users) -}}
{{- fail "webConfig.basicAuth is true but webConfig.content has no basic_auth_users" -}}
{{- end -}}
{{- if eq (dig "tls_server_config" "client_auth_type" "" $content) "RequireAndVerifyClientCert" -}}
{{- fail "webConfig: client_auth_type RequireAndVerifyClientCert refuses the kubelet's probes, which present no client certificate: use VerifyClientCertIfGiven" -}}
{{- end -}}
{{- end -}}
{{- if and (or $web.tls $web.basicAuth) (not (or $web.existingSecret $content)) -}}
{{- fail "webConfig.tls or webConfig.basicAuth is on without a web config: give webConfig.existingSecret or webConfig.content" -}}
{{- end -}}
{{- if and .Values.serviceMonitor.enabled (include "hwmig.webBasicAuth" .) (not .Values.serviceMonitor.basicAuth.existingSecret) -}}
{{- fail "webConfig asks for basic auth: give serviceMonitor.basicAuth.existingSecret, the Secret with the user name and password Prometheus sends" -}}
{{- end -}}
{{- if $web.existingSecret -}}
{{- $web.existingSecret -}}
{{- else if $content -}}
{{- printf "%s-web-config" (include "hwmig.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
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
        {{- if include "hwmig.webConfigSecret" . }}
        - --web.config.file=/etc/hwmig/web/web-config.yml
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
      # The health endpoints answer without basic auth; over TLS the kubelet asks with HTTPS
      # (it checks no certificate, and presents none).
      livenessProbe:
        httpGet:
          path: /healthz
          port: metrics
          {{- if include "hwmig.webTLS" . }}
          scheme: HTTPS
          {{- end }}
        periodSeconds: 20
        timeoutSeconds: 5
      readinessProbe:
        httpGet:
          path: /readyz
          port: metrics
          {{- if include "hwmig.webTLS" . }}
          scheme: HTTPS
          {{- end }}
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
        {{- if include "hwmig.webConfigSecret" . }}
        # A whole volume, not a subPath: a changed Secret reaches the file, and the exporter
        # reloads it by itself.
        - name: web-config
          mountPath: /etc/hwmig/web
          readOnly: true
        {{- end }}
        {{- if .Values.webConfig.tlsSecret }}
        - name: web-tls
          mountPath: /etc/hwmig/tls
          readOnly: true
        {{- end }}
        {{- range .Values.accounts }}
        {{- if not .credentials.provider }}
        - name: {{ include "hwmig.credentialsVolume" . }}
          mountPath: {{ printf "/etc/hwmig/credentials/%s" .name }}
          readOnly: true
        {{- end }}
        {{- end }}
        {{- if include "hwmig.oidcToken" . }}
        # The projected service-account token: an OIDC ID token, rotated by the kubelet in
        # place, re-read by the exporter at each refresh.
        - name: oidc-token
          mountPath: /var/run/secrets/hwmig/oidc
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
    {{- with include "hwmig.webConfigSecret" . }}
    - name: web-config
      secret:
        secretName: {{ . }}
        defaultMode: 0440
    {{- end }}
    {{- with .Values.webConfig.tlsSecret }}
    - name: web-tls
      secret:
        secretName: {{ . }}
        defaultMode: 0440
    {{- end }}
    {{- range .Values.accounts }}
    {{- if not .credentials.provider }}
    - name: {{ include "hwmig.credentialsVolume" . }}
      secret:
        secretName: {{ include "hwmig.secretName" (list . $) }}
        defaultMode: 0440
    {{- end }}
    {{- end }}
    {{- if include "hwmig.oidcToken" . }}
    - name: oidc-token
      projected:
        sources:
          - serviceAccountToken:
              path: token
              audience: {{ required "serviceAccount.token.audience: the audience the identity provider expects (its client id) is required with an oidc_federation or oidc_sts account" .Values.serviceAccount.token.audience | quote }}
              expirationSeconds: {{ .Values.serviceAccount.token.expirationSeconds }}
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

{{/* "true" when an account federates the pod's service-account token (OIDC). */}}
{{- define "hwmig.oidcToken" -}}
{{- range .Values.accounts -}}
{{- if has (default "" .credentials.provider) (list "oidc_federation" "oidc_sts") -}}true{{- end -}}
{{- end -}}
{{- end -}}
