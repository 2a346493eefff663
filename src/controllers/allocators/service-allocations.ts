// What the API server does with a Service's addresses on create, update and delete
// (upstream pkg/registry/core/service/storage/alloc.go): ClusterIPs and NodePorts are taken
// in one transaction that is committed after the object is stored, or reverted on failure
// and for dryRun. IPv4 single-stack only.
import type { Service, ServicePort } from "../../api/types.js";
import type { ClusterSettings } from "../../cluster/settings.js";
import { invalid, type FieldError } from "../../api/field-errors.js";
import { AllocationError, type PickOptions } from "./allocation-error.js";
import { ClusterIPAllocator } from "./cluster-ip.js";
import { NodePortAllocator } from "./node-port.js";

export interface AllocationTxn {
  /** Field errors with upstream's text (the caller turns them into a 422 Invalid). */
  errors: FieldError[];
  /** Keep the new allocations and free what the update released. */
  commit(): void;
  /** Give back what was taken (nothing released is lost). */
  revert(): void;
}

const needsClusterIP = (s: Service) => (s.spec?.type ?? "ClusterIP") !== "ExternalName";
const isHeadless = (s: Service) => s.spec?.clusterIP === "None" || s.spec?.clusterIPs?.[0] === "None";
const wantsNodePorts = (s: Service) => s.spec?.type === "NodePort" || (s.spec?.type === "LoadBalancer" && s.spec.allocateLoadBalancerNodePorts !== false);
const needsHealthCheck = (s: Service) => s.spec?.type === "LoadBalancer" && s.spec.externalTrafficPolicy === "Local";

function ports(s: Service | undefined): ServicePort[] {
  const p = s?.spec?.ports;
  return Array.isArray(p) ? p.filter((x) => x && typeof x === "object") : [];
}

function nodePortsOf(s: Service | undefined): number[] {
  return ports(s)
    .map((p) => p.nodePort)
    .filter((n): n is number => typeof n === "number" && n !== 0);
}

function clusterIPsOf(s: Service | undefined): string[] {
  if (!s?.spec || !needsClusterIP(s) || isHeadless(s)) return [];
  const ips = Array.isArray(s.spec.clusterIPs) && s.spec.clusterIPs.length ? s.spec.clusterIPs : s.spec.clusterIP ? [s.spec.clusterIP] : [];
  return ips.filter((x) => typeof x === "string" && x !== "");
}

export class ServiceAllocations {
  readonly ips: ClusterIPAllocator;
  readonly nodePorts: NodePortAllocator;

  constructor(settings: ClusterSettings, pick: PickOptions = {}) {
    this.ips = new ClusterIPAllocator(settings.serviceClusterIPRange, pick);
    this.nodePorts = new NodePortAllocator(settings.serviceNodePortRange, pick);
  }

  /** Marks what stored Services hold (at start). Out-of-range values are skipped, as upstream's repair loop reports them. */
  rebuild(services: Service[]): void {
    for (const s of services) {
      for (const ip of clusterIPsOf(s)) if (this.ips.contains(ip) && !this.ips.isAllocated(ip)) this.ips.allocate(ip);
      for (const p of [...nodePortsOf(s), ...(needsHealthCheck(s) && s.spec.healthCheckNodePort ? [s.spec.healthCheckNodePort] : [])]) {
        if (this.nodePorts.contains(p) && !this.nodePorts.isAllocated(p)) this.nodePorts.allocate(p);
      }
    }
  }

  /** Fills spec.clusterIP(s) and nodePorts of `svc` in place. `old` for updates. */
  allocate(svc: Service, old?: Service): AllocationTxn {
    const takenIPs: string[] = [];
    const takenPorts: number[] = [];
    const releaseIPs: string[] = [];
    const releasePorts: number[] = [];
    const errors: FieldError[] = [];
    const txn: AllocationTxn = {
      errors,
      commit: () => {
        for (const ip of releaseIPs) this.ips.release(ip);
        for (const p of releasePorts) if (!takenPorts.includes(p)) this.nodePorts.release(p);
      },
      revert: () => {
        for (const ip of takenIPs) this.ips.release(ip);
        for (const p of takenPorts) this.nodePorts.release(p);
      },
    };
    if (!svc.spec || typeof svc.spec !== "object") return txn;
    const spec = svc.spec;

    // ---- ClusterIPs
    const oldIPs = clusterIPsOf(old);
    if (!needsClusterIP(svc)) {
      releaseIPs.push(...oldIPs);
    } else if (!isHeadless(svc)) {
      const requested = Array.isArray(spec.clusterIPs) && spec.clusterIPs.length ? spec.clusterIPs[0] : spec.clusterIP;
      if (typeof requested === "string" && requested !== "") {
        if (!oldIPs.includes(requested)) {
          try {
            this.ips.allocate(requested);
            takenIPs.push(requested);
            releaseIPs.push(...oldIPs);
          } catch (e) {
            if (!(e instanceof AllocationError)) throw e;
            errors.push(invalid("spec.clusterIPs", spec.clusterIPs ?? [requested], `failed to allocate IP ${requested}: ${e.message}`));
            txn.revert();
            return txn;
          }
        }
        spec.clusterIP = requested;
        spec.clusterIPs = [requested];
      } else if (oldIPs.length) {
        spec.clusterIP = oldIPs[0];
        spec.clusterIPs = [...oldIPs];
      } else {
        let ip: string;
        try {
          ip = this.ips.allocateNext();
        } catch (e) {
          if (!(e instanceof AllocationError)) throw e;
          errors.push({ type: "InternalError", field: "spec.clusterIPs", detail: `failed to allocate a serviceIP: ${e.message}` });
          return txn;
        }
        takenIPs.push(ip);
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
      }
      if (!spec.ipFamilies) spec.ipFamilies = ["IPv4"];
      if (!spec.ipFamilyPolicy) spec.ipFamilyPolicy = "SingleStack";
    }

    // ---- NodePorts
    const oldPorts = nodePortsOf(old);
    const list = ports(svc);
    if (!wantsNodePorts(svc) && svc.spec.type !== "LoadBalancer") {
      // Changing to ClusterIP/ExternalName drops the node ports it had (upstream's strategy
      // clears those the user did not change; validation refuses any that remain).
      for (const p of list) if (p.nodePort && oldPorts.includes(p.nodePort)) delete p.nodePort;
      releasePorts.push(...oldPorts);
    } else {
      const kept = new Set<number>();
      for (let i = 0; i < list.length; i++) {
        const p = list[i];
        if (!p.nodePort) {
          if (!wantsNodePorts(svc)) continue;
          // Unchanged port numbers keep their node port on update (upstream patchAllocatedValues).
          const prev = ports(old).find((q) => q.port === p.port && q.nodePort);
          if (prev?.nodePort && !kept.has(prev.nodePort)) {
            p.nodePort = prev.nodePort;
          } else {
            try {
              p.nodePort = this.nodePorts.allocateNext();
              takenPorts.push(p.nodePort);
            } catch (e) {
              if (!(e instanceof AllocationError)) throw e;
              errors.push({ type: "InternalError", field: `spec.ports[${i}].nodePort`, detail: `failed to allocate a nodePort: ${e.message}` });
              txn.revert();
              return txn;
            }
          }
        } else if (!oldPorts.includes(p.nodePort) && !takenPorts.includes(p.nodePort)) {
          try {
            this.nodePorts.allocate(p.nodePort);
            takenPorts.push(p.nodePort);
          } catch (e) {
            if (!(e instanceof AllocationError)) throw e;
            errors.push(invalid(`spec.ports[${i}].nodePort`, p.nodePort, e.message));
            txn.revert();
            return txn;
          }
        }
        kept.add(p.nodePort!);
      }
      for (const p of oldPorts) if (!kept.has(p)) releasePorts.push(p);
    }

    // ---- health check node port (LoadBalancer with externalTrafficPolicy Local)
    const oldHC = old && needsHealthCheck(old) ? old.spec.healthCheckNodePort : undefined;
    if (needsHealthCheck(svc)) {
      const want = spec.healthCheckNodePort || oldHC;
      if (want && want !== oldHC) {
        try {
          this.nodePorts.allocate(want);
          takenPorts.push(want);
        } catch (e) {
          if (!(e instanceof AllocationError)) throw e;
          errors.push(invalid("spec.healthCheckNodePort", want, `failed to allocate requested HealthCheck NodePort ${want}: ${e.message}`));
          txn.revert();
          return txn;
        }
        spec.healthCheckNodePort = want;
      } else if (!want) {
        try {
          spec.healthCheckNodePort = this.nodePorts.allocateNext();
          takenPorts.push(spec.healthCheckNodePort);
        } catch (e) {
          if (!(e instanceof AllocationError)) throw e;
          errors.push({ type: "InternalError", field: "spec.healthCheckNodePort", detail: `failed to allocate a HealthCheck NodePort: ${e.message}` });
          txn.revert();
          return txn;
        }
      } else {
        spec.healthCheckNodePort = want;
      }
    } else {
      if (oldHC) releasePorts.push(oldHC);
      if (spec.healthCheckNodePort && spec.healthCheckNodePort === oldHC) delete spec.healthCheckNodePort;
    }
    return txn;
  }

  /** Frees everything a deleted Service held. */
  release(svc: Service): void {
    for (const ip of clusterIPsOf(svc)) this.ips.release(ip);
    for (const p of nodePortsOf(svc)) this.nodePorts.release(p);
    if (needsHealthCheck(svc) && svc.spec.healthCheckNodePort) this.nodePorts.release(svc.spec.healthCheckNodePort);
  }
}
