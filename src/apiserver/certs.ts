// The API server's TLS material, made with the `openssl` command: a self-signed CA and a
// serving certificate for the loopback address and the names in-cluster clients use.
// Existing files in the directory are reused, so kubeconfigs stay valid across restarts.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";

export interface ServingCerts {
  caPem: string;
  certPem: string;
  keyPem: string;
  dir: string;
}

export interface CertOptions {
  /** Extra SAN IPs (e.g. the `kubernetes` Service's ClusterIP). 127.0.0.1 is always included. */
  ips?: string[];
  clusterDomain?: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    const err = e as { stderr?: Buffer; code?: string; message: string };
    if (err.code === "ENOENT") throw new Error("the openssl command is needed to make the API server's certificates (apt-get install openssl)", { cause: e });
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString().trim() || err.message}`, { cause: e });
  }
}

export function ensureServingCerts(dir: string, opts: CertOptions = {}): ServingCerts {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = join(dir, "ca.crt");
  const caKey = join(dir, "ca.key");
  const crt = join(dir, "apiserver.crt");
  const key = join(dir, "apiserver.key");
  if (!existsSync(ca) || !existsSync(caKey)) {
    openssl(
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650", "-subj", "/CN=netlab-ca",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
      dir,
    );
    rmSync(crt, { force: true });
  }
  if (!existsSync(crt) || !existsSync(key)) {
    const domain = opts.clusterDomain ?? "cluster.local";
    const dns = ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", `kubernetes.default.svc.${domain}`];
    const ips = ["127.0.0.1", ...(opts.ips ?? []).filter((x) => x !== "127.0.0.1")];
    const san = [...dns.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)].join(",");
    writeFileSync(
      join(dir, "apiserver.ext"),
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`,
    );
    openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "apiserver.key", "-out", "apiserver.csr", "-subj", "/CN=kube-apiserver"], dir);
    openssl(["x509", "-req", "-in", "apiserver.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "apiserver.crt", "-days", "825", "-extfile", "apiserver.ext"], dir);
  }
  for (const f of [caKey, key]) chmodSync(f, 0o600);
  return { caPem: readFileSync(ca, "utf8"), certPem: readFileSync(crt, "utf8"), keyPem: readFileSync(key, "utf8"), dir };
}
