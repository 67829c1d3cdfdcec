package httpdeploy

import (
	"fmt"
	"regexp"
	"strings"
)

// steps returns the commands that deploy the written files, in order, and
// notes the user must act on. The credential enters each platform's secret
// store from the environment variable TokenEnv through standard input, so
// that it never shows in a command line or a file.
func steps(o Options) (cmds, notes []string) {
	dir := shellQuote(o.Dir)
	build := []string{
		fmt.Sprintf("docker build --platform linux/%s -t %s %s", o.GOARCH, shellQuote(o.Image), dir),
		"docker push " + shellQuote(o.Image),
	}
	svc := o.Service
	var endpoint string
	switch o.Target {
	case Knative:
		cmds = append(build,
			fmt.Sprintf(`printf %%s "$%s" | kubectl create secret generic %s --from-file=%s=/dev/stdin`, TokenEnv, SecretName, SecretKey),
			"kubectl apply -f "+shellQuote(o.Dir+"/service.yaml"),
			"kubectl wait ksvc/"+svc+" --for=condition=Ready --timeout=5m")
		endpoint = `"$(kubectl get ksvc ` + svc + ` -o jsonpath='{.status.url}')"`
	case CloudRun:
		cmds = append(build,
			fmt.Sprintf(`printf %%s "$%s" | gcloud secrets create %s --data-file=-`, TokenEnv, SecretName),
			"gcloud secrets add-iam-policy-binding "+SecretName+` --role=roles/secretmanager.secretAccessor --member="serviceAccount:$(gcloud projects describe "$(gcloud config get-value project)" --format='value(projectNumber)')-compute@developer.gserviceaccount.com"`,
			"gcloud run services replace "+shellQuote(o.Dir+"/service.yaml"),
			"gcloud run services add-iam-policy-binding "+svc+" --member=allUsers --role=roles/run.invoker")
		endpoint = `"$(gcloud run services describe ` + svc + ` --format='value(status.url)')"`
		notes = append(notes,
			"gcloud takes the region from its configuration (gcloud config set run/region REGION) or --region on each command",
			"the allUsers binding lets requests reach the worker, which refuses any without the token; to keep Cloud Run's IAM check as well, skip it and give the http backend a Google ID token")
	case OpenFaaS:
		cmds = []string{
			fmt.Sprintf(`printf %%s "$%s" | faas-cli secret create %s`, TokenEnv, SecretName),
			"faas-cli up -f " + shellQuote(o.Dir+"/stack.yml"),
		}
		endpoint = `"${OPENFAAS_URL:-http://127.0.0.1:8080}/function/` + svc + `"`
		if o.Timeout.Seconds() > 60 {
			notes = append(notes, fmt.Sprintf("the OpenFaaS gateway's own timeouts (upstream_timeout, read_timeout, write_timeout; 60 s in the Helm chart) must be at least %v too", o.Timeout))
		}
	case Azure:
		cmds = []string{
			fmt.Sprintf(`printf %%s "$%s" | az keyvault secret set --vault-name "$VAULT" --name %s --file /dev/stdin`, TokenEnv, SecretName),
			"az functionapp identity assign --name " + svc + ` --resource-group "$RESOURCE_GROUP"`,
			`az role assignment create --role "Key Vault Secrets User" --assignee "$(az functionapp identity show --name ` + svc + ` --resource-group "$RESOURCE_GROUP" --query principalId -o tsv)" --scope "$(az keyvault show --name "$VAULT" --query id -o tsv)"`,
			"az functionapp config appsettings set --name " + svc + ` --resource-group "$RESOURCE_GROUP" --settings "` + TokenEnv + `=@Microsoft.KeyVault(VaultName=$VAULT;SecretName=` + SecretName + `)"`,
			"(cd " + dir + " && func azure functionapp publish " + svc + ")",
		}
		endpoint = "https://" + svc + ".azurewebsites.net"
		notes = append(notes,
			"create the function app first (its name is global: choose one with --service): az functionapp create --name "+svc+` --resource-group "$RESOURCE_GROUP" --storage-account "$STORAGE" --consumption-plan-location "$LOCATION" --os-type Linux --runtime custom --functions-version 4`,
			"VAULT and RESOURCE_GROUP name your Key Vault and resource group")
	}
	cmds = append(cmds, fmt.Sprintf("overcast run pi --backend http --endpoint %s", endpoint))
	return cmds, notes
}

// plainWord is a shell word that needs no quotes.
var plainWord = regexp.MustCompile(`^[A-Za-z0-9@%_+=:,./-]+$`)

// shellQuote returns s as one shell word.
func shellQuote(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
