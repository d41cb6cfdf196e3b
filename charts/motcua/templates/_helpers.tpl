{{/* Chart name, truncated for DNS. */}}
{{- define "motcua.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name: the prefix of every object. */}}
{{- define "motcua.fullname" -}}
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

{{- define "motcua.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "motcua.labels" -}}
helm.sh/chart: {{ include "motcua.chart" . }}
app.kubernetes.io/name: {{ include "motcua.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: motcua
{{- end -}}

{{/* Selector labels of one service (never change them: Deployment selectors are immutable).
     Call with (dict "root" $ "service" "intake"). */}}
{{- define "motcua.selectorLabels" -}}
app.kubernetes.io/name: {{ include "motcua.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .service }}
{{- end -}}

{{/* All labels of one service's objects: (dict "root" $ "service" "intake"). */}}
{{- define "motcua.serviceLabels" -}}
{{ include "motcua.labels" .root }}
app.kubernetes.io/component: {{ .service }}
{{- end -}}

{{/* Name of one service's objects: (dict "root" $ "service" "intake") gives "<fullname>-intake". */}}
{{- define "motcua.serviceName" -}}
{{- printf "%s-%s" (include "motcua.fullname" .root) .service | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Names of the enabled services, space separated, in the order of `.Values.services` (alphabetical). */}}
{{- define "motcua.enabledServices" -}}
{{- $names := list -}}
{{- range $name, $svc := .Values.services -}}
{{- if ne $svc.enabled false -}}{{- $names = append $names $name -}}{{- end -}}
{{- end -}}
{{- join " " $names -}}
{{- end -}}

{{/* Effective settings of one service: `defaults` overridden key by key by `services.<name>` (autoscaling is
     merged one level deeper). Written into the dict passed as "out", so numbers and booleans keep their types
     and an explicit `false` or `0` wins over the default (sprig's merge would treat them as unset).
     Call: {{- $cfg := dict }}{{- include "motcua.serviceConfig" (dict "root" $ "service" "intake" "out" $cfg) }} */}}
{{- define "motcua.serviceConfig" -}}
{{- $out := .out -}}
{{- range $key, $value := .root.Values.defaults -}}
{{- $_ := set $out $key $value -}}
{{- end -}}
{{- $auto := dict -}}
{{- range $key, $value := (default dict .root.Values.defaults.autoscaling) -}}
{{- $_ := set $auto $key $value -}}
{{- end -}}
{{- range $key, $value := (index .root.Values.services .service) -}}
{{- if eq $key "autoscaling" -}}
{{- range $k, $v := $value -}}{{- $_ := set $auto $k $v -}}{{- end -}}
{{- else -}}
{{- $_ := set $out $key $value -}}
{{- end -}}
{{- end -}}
{{- $_ := set $out "autoscaling" $auto -}}
{{- /* KEDA (queue depth) replaces the CPU HPA for the services it scales: KEDA creates its own HPA. Never the
gateway: it serves HTTP, and its one event queue (StaffMemberChanged, rare) says nothing of its load. */ -}}
{{- $queues := index (.root.Files.Get "files/queues.yaml" | fromYaml) .service -}}
{{- $kedaOn := and .root.Values.keda.enabled $queues (ne .service "gateway") (gt (int $out.replicas) 0) (or (not .root.Values.keda.services) (has .service .root.Values.keda.services)) -}}
{{- $_ := set $out "keda" (ternary $queues list (not (not $kedaOn))) -}}
{{- $_ := set $out "hpa" (and $auto.enabled (gt (int $out.replicas) 0) (not $kedaOn)) -}}
{{- end -}}

{{- define "motcua.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "motcua.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "motcua.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* PUBLIC_URL: explicit, else from the Ingress host. */}}
{{- define "motcua.publicUrl" -}}
{{- if .Values.publicUrl -}}
{{- .Values.publicUrl -}}
{{- else if .Values.ingress.enabled -}}
{{- printf "%s://%s" (ternary "https" "http" (not (empty .Values.ingress.tlsSecretName))) .Values.ingress.host -}}
{{- end -}}
{{- end -}}

{{/* Name of the file store's PersistentVolumeClaim. */}}
{{- define "motcua.fileStoreClaim" -}}
{{- default (printf "%s-files" (include "motcua.fullname" .)) .Values.fileStore.existingClaim -}}
{{- end -}}

{{/* Does this service mount the file store? (dict "root" $ "service" "intake") → "true" or "". */}}
{{- define "motcua.usesFileStore" -}}
{{- if and .root.Values.fileStore.enabled (has .service (list "gateway" "intake")) -}}true{{- end -}}
{{- end -}}

{{/* NAME: {key, secret} → env entries reading a Secret. Call with (dict "root" $ "env" $map). */}}
{{- define "motcua.secretEnv" -}}
{{- range $envName, $ref := .env }}
- name: {{ $envName }}
  valueFrom:
    secretKeyRef: {name: {{ default $.root.Values.existingSecret $ref.secret }}, key: {{ $ref.key }}}
{{- end }}
{{- end -}}

{{/* Environment shared by every container (services and the migration Job); secrets only by reference. */}}
{{- define "motcua.env" -}}
- name: MOTCUA_ENV
  value: {{ .Values.env | quote }}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: MOTCUA_PROVINCE_CODE
  value: {{ .Values.province.code | quote }}
- name: MOTCUA_PROVINCE_NAME
  value: {{ .Values.province.name | quote }}
- name: MOTCUA_ADMIN_LEVELS
  value: {{ join "," .Values.province.adminLevels | quote }}
- name: MOTCUA_ADMIN_MODEL
  value: {{ printf "%dlevel" (len .Values.province.adminLevels) | quote }}
{{- if .Values.rabbitmq.enabled }}
- name: RABBITMQ_USERNAME
  valueFrom:
    secretKeyRef: {name: {{ include "motcua.fullname" . }}-broker-default-user, key: username}
- name: RABBITMQ_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ include "motcua.fullname" . }}-broker-default-user, key: password}
- name: AMQP_URI
  value: "amqp://$(RABBITMQ_USERNAME):$(RABBITMQ_PASSWORD)@{{ include "motcua.fullname" . }}-broker:5672/"
{{- else }}
- name: AMQP_URI
  valueFrom:
    secretKeyRef: {name: {{ .Values.existingSecret }}, key: amqp-uri}
{{- end }}
{{- if .Values.postgresql.enabled }}
- name: PGUSER
  valueFrom:
    secretKeyRef: {name: {{ include "motcua.fullname" . }}-db-app, key: username}
- name: PGPASSWORD
  valueFrom:
    secretKeyRef: {name: {{ include "motcua.fullname" . }}-db-app, key: password}
- name: DATABASE_URL
  value: "postgresql+psycopg2://$(PGUSER):$(PGPASSWORD)@{{ include "motcua.fullname" . }}-db-rw:5432/motcua_{service}"
{{- else }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ .Values.existingSecret }}, key: database-url}
{{- end }}
- name: MOTCUA_APPLICANT_REF_KEY
  valueFrom:
    secretKeyRef: {name: {{ .Values.existingSecret }}, key: applicant-ref-key}
- name: SMTP_HOST
  value: {{ .Values.smtp.host | quote }}
- name: SMTP_PORT
  value: {{ .Values.smtp.port | quote }}
{{- with .Values.smtp.from }}
- name: MAIL_FROM
  value: {{ . | quote }}
{{- end }}
{{- with .Values.smtp.messageIdDomain }}
- name: MESSAGE_ID_DOMAIN
  value: {{ . | quote }}
{{- end }}
{{- with include "motcua.publicUrl" . }}
- name: PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
{{- include "motcua.secretEnv" (dict "root" . "env" .Values.extraSecretEnv) }}
{{- range $key, $value := .Values.extraEnv }}
- name: {{ $key }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* The Secret keys this release reads from Secrets the operator creates (the operators' own generated Secrets
     excluded), one line per Secret: `<secret>: <key>, <key>`. NOTES.txt prints it; docs/deploy.md lists every
     key it can contain, and tests/charts checks both against the rendered secretKeyRefs. */}}
{{- define "motcua.secretKeys" -}}
{{- $root := . -}}
{{- $default := .Values.existingSecret -}}
{{- $keys := dict -}}
{{- $refs := list -}}
{{- if not .Values.rabbitmq.enabled }}{{ $refs = append $refs (dict "key" "amqp-uri") }}{{ end -}}
{{- if not .Values.postgresql.enabled }}{{ $refs = append $refs (dict "key" "database-url") }}{{ end -}}
{{- $refs = append $refs (dict "key" "applicant-ref-key") -}}
{{- range $ref := .Values.extraSecretEnv }}{{ $refs = append $refs $ref }}{{ end -}}
{{- range $name, $svc := .Values.services -}}
{{- if ne $svc.enabled false -}}
{{- $cfg := dict -}}
{{- include "motcua.serviceConfig" (dict "root" $root "service" $name "out" $cfg) -}}
{{- range $ref := (default dict $cfg.extraSecretEnv) }}{{ $refs = append $refs $ref }}{{ end -}}
{{- if eq $name "gateway" -}}
{{- $refs = append $refs $root.Values.webSignIn.sessionSecret -}}
{{- if $root.Values.webSignIn.clientSecret.key }}{{ $refs = append $refs $root.Values.webSignIn.clientSecret }}{{ end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and .Values.keda.enabled (include "motcua.kedaServices" .) }}{{ $refs = append $refs .Values.keda.hostSecret }}{{ end -}}
{{- range $ref := $refs -}}
{{- $secret := default $default $ref.secret -}}
{{- $_ := set $keys $secret (append (default list (get $keys $secret)) $ref.key | uniq | sortAlpha) -}}
{{- end -}}
{{- range $secret, $list := $keys }}
{{ $secret }}: {{ join ", " $list }}
{{- end -}}
{{- end -}}

{{/* Services KEDA scales, space separated (empty when keda is off). */}}
{{- define "motcua.kedaServices" -}}
{{- $root := . -}}
{{- $names := list -}}
{{- range $name, $svc := .Values.services -}}
{{- if ne $svc.enabled false -}}
{{- $cfg := dict -}}
{{- include "motcua.serviceConfig" (dict "root" $root "service" $name "out" $cfg) -}}
{{- if $cfg.keda }}{{ $names = append $names $name }}{{ end -}}
{{- end -}}
{{- end -}}
{{- join " " $names -}}
{{- end -}}
