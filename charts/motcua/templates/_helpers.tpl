{{/* Chart name, truncated for DNS. */}}
{{- define "motcua.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name. */}}
{{- define "motcua.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "motcua.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "motcua.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: motcua
{{- end -}}

{{/* Selector labels of one service: call with (dict "root" $ "service" "intake"). */}}
{{- define "motcua.selectorLabels" -}}
app.kubernetes.io/name: {{ include "motcua.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .service }}
{{- end -}}

{{/* Name of one service's objects. */}}
{{- define "motcua.serviceName" -}}
{{- printf "%s-%s" (include "motcua.fullname" .root) .service | trunc 63 | trimSuffix "-" -}}
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

{{/* Environment shared by every container; secrets only by reference. */}}
{{- define "motcua.env" -}}
- name: MOTCUA_ENV
  value: {{ .Values.env | quote }}
- name: MOTCUA_PROVINCE_CODE
  value: {{ .Values.province.code | quote }}
- name: MOTCUA_ADMIN_MODEL
  value: {{ .Values.province.adminModel | quote }}
{{- if .Values.rabbitmq.enabled }}
- name: RABBITMQ_USERNAME
  valueFrom: {secretKeyRef: {name: {{ include "motcua.fullname" . }}-broker-default-user, key: username}}
- name: RABBITMQ_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ include "motcua.fullname" . }}-broker-default-user, key: password}}
- name: AMQP_URI
  value: "amqp://$(RABBITMQ_USERNAME):$(RABBITMQ_PASSWORD)@{{ include "motcua.fullname" . }}-broker:5672/"
{{- else }}
- name: AMQP_URI
  valueFrom: {secretKeyRef: {name: {{ .Values.existingSecret }}, key: amqp-uri}}
{{- end }}
{{- if .Values.postgresql.enabled }}
- name: PGUSER
  valueFrom: {secretKeyRef: {name: {{ include "motcua.fullname" . }}-db-app, key: username}}
- name: PGPASSWORD
  valueFrom: {secretKeyRef: {name: {{ include "motcua.fullname" . }}-db-app, key: password}}
- name: DATABASE_URL
  value: "postgresql+psycopg2://$(PGUSER):$(PGPASSWORD)@{{ include "motcua.fullname" . }}-db-rw:5432/motcua_{service}"
{{- else }}
- name: DATABASE_URL
  valueFrom: {secretKeyRef: {name: {{ .Values.existingSecret }}, key: database-url}}
{{- end }}
- name: MOTCUA_APPLICANT_REF_KEY
  valueFrom: {secretKeyRef: {name: {{ .Values.existingSecret }}, key: applicant-ref-key}}
- name: SMTP_HOST
  value: {{ .Values.smtp.host | quote }}
- name: SMTP_PORT
  value: {{ .Values.smtp.port | quote }}
- name: METRICS_HOST
  value: "0.0.0.0"
{{- range $key, $value := .Values.extraEnv }}
- name: {{ $key }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}
