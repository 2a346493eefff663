// kube-proxy's ServicePortName string: "ns/name", plus ":portName" only when the port is named.

export interface ServicePortName {
  namespace: string;
  name: string;
  port: string; // the port's name, "" when unnamed
}

export function servicePortNameString(spn: ServicePortName): string {
  const base = `${spn.namespace}/${spn.name}`;
  return spn.port ? `${base}:${spn.port}` : base;
}

/** "ip:port", IPv6 in brackets (Go's net.JoinHostPort). */
export function joinHostPort(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}
