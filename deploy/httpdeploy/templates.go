package httpdeploy

// templateText holds the templates of the files, by name (see templates).
// Every value that comes from the options is quoted with q or flow, so
// that YAML reads back exactly the value.
var templateText = map[string]string{
	"Dockerfile":            dockerfile,
	"openfaas/Dockerfile":   openfaasDockerfile,
	"knative/service.yaml":  knativeService,
	"cloudrun/service.yaml": cloudRunService,
	"openfaas/stack.yml":    openfaasStack,
}

const dockerfile = `# The Overcast worker: a static {{.Arch}} binary (CGO_ENABLED=0) that
# serves tasks on :$PORT (POST {{.Invoke}}, GET {{.Health}}). The credential
# comes from the platform's secret in {{.TokenEnv}} at run time, never from
# the image.
FROM --platform={{.Arch}} {{.Base}}
COPY {{.Binary}} /{{.Binary}}
USER 65532:65532
ENV PORT={{.Port}}
EXPOSE {{.Port}}
ENTRYPOINT ["/{{.Binary}}"]
CMD {{flow .Args}}
`

const openfaasDockerfile = `# The Overcast worker behind OpenFaaS's of-watchdog in http mode: the
# watchdog takes :8080 and forwards each request to the worker on loopback
# (stack.yml sets fprocess, mode and upstream_url). The worker is a static
# {{.Arch}} binary (CGO_ENABLED=0); its credential is the OpenFaaS secret
# {{.SecretName}}, mounted as a file at run time, never in the image.
FROM --platform={{.Arch}} {{.Watchdog}} AS watchdog
FROM --platform={{.Arch}} {{.Base}}
COPY --from=watchdog /fwatchdog /fwatchdog
COPY {{.Binary}} /{{.Binary}}
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/fwatchdog"]
`

const knativeService = `# The Overcast worker as a Knative Service: kubectl apply -f service.yaml.
# The credential comes from the Secret {{.SecretName}} (key {{.SecretKey}}),
# never from this file. containerConcurrency and the worker's --concurrency
# are the same number: change both together.
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: {{q .Service}}
spec:
  template:
    spec:
      containerConcurrency: {{.Concurrency}}
      timeoutSeconds: {{.Seconds}}
      containers:
        - image: {{q .Image}}
          args: {{flow .Args}}
          ports:
            - containerPort: {{.Port}}
          env:
            - name: {{.TokenEnv}}
              valueFrom:
                secretKeyRef:
                  name: {{.SecretName}}
                  key: {{.SecretKey}}
          readinessProbe:
            httpGet:
              path: {{.Health}}
          securityContext:
            runAsNonRoot: true
            allowPrivilegeEscalation: false
            capabilities:
              drop: ["ALL"]
            seccompProfile:
              type: RuntimeDefault
          resources:
            requests:
              cpu: "{{.CPU}}"
              memory: {{.MemoryMi}}Mi
            limits:
              cpu: "{{.CPU}}"
              memory: {{.MemoryMi}}Mi
`

const cloudRunService = `# The Overcast worker as a Cloud Run service:
#   gcloud run services replace service.yaml
# The credential comes from the Secret Manager secret {{.SecretName}}
# (its latest version), never from this file. containerConcurrency and the
# worker's --concurrency are the same number: change both together.
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: {{q .Service}}
  annotations:
    run.googleapis.com/ingress: all
spec:
  template:
    metadata:
      annotations:
        run.googleapis.com/execution-environment: gen2
        run.googleapis.com/startup-cpu-boost: "true"
    spec:
      containerConcurrency: {{.Concurrency}}
      timeoutSeconds: {{.Seconds}}
      containers:
        - image: {{q .Image}}
          args: {{flow .Args}}
          ports:
            - name: http1
              containerPort: {{.Port}}
          env:
            - name: {{.TokenEnv}}
              valueFrom:
                secretKeyRef:
                  name: {{.SecretName}}
                  key: latest
          resources:
            limits:
              cpu: "{{.CPU}}"
              memory: {{.MemoryMi}}Mi
`

const openfaasStack = `# The Overcast worker as an OpenFaaS function (of-watchdog, http mode):
#   faas-cli up -f stack.yml
# The credential is the OpenFaaS secret {{.SecretName}}, which the worker
# reads from its file; it is never in this file. max_inflight and the
# worker's --concurrency are the same number: change both together.
version: "1.0"
provider:
  name: openfaas
  gateway: http://127.0.0.1:8080
functions:
  {{.Service}}:
    lang: dockerfile
    handler: .
    image: {{q .Image}}
    environment:
      fprocess: {{q .FProcess}}
      mode: http
      upstream_url: {{q .Upstream}}
      max_inflight: "{{.Concurrency}}"
      exec_timeout: {{.Seconds}}s
      read_timeout: {{.Seconds}}s
      write_timeout: {{.Seconds}}s
    secrets:
      - {{.SecretName}}
    requests:
      cpu: "{{.CPU}}"
      memory: {{.MemoryMi}}Mi
    limits:
      cpu: "{{.CPU}}"
      memory: {{.MemoryMi}}Mi
`
