/**
 * The shipped deployment files are consistent with the bridge: probes on its health routes,
 * the port it listens on, files the Dockerfile copies exist, shutdown grace longer than the drain.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'mocha';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../support/compile';

const K8S = path.join(ROOT, 'deploy', 'kubernetes');

function load(file: string): Record<string, any>[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  return parseAllDocuments(fs.readFileSync(path.join(K8S, file), 'utf8')).map((d) => {
    assert.deepEqual(d.errors, [], file);
    return d.toJS();
  });
}

describe('deployment files', () => {
  it('the Deployment probes /readyz and /healthz on the port the bridge listens on', () => {
    const [dep] = load('deployment.yaml');
    const c = dep.spec.template.spec.containers[0];
    const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    assert.equal(c.ports[0].containerPort, Number(env.PORT));
    assert.equal(c.readinessProbe.httpGet.path, '/readyz');
    assert.equal(c.livenessProbe.httpGet.path, '/healthz');
    assert.ok(dep.spec.template.spec.terminationGracePeriodSeconds * 1000 > Number(env.SHUTDOWN_GRACE_MS), 'the pod outlives the drain');
    assert.equal(dep.spec.selector.matchLabels['app.kubernetes.io/name'], dep.spec.template.metadata.labels['app.kubernetes.io/name']);
  });

  it('the Service and the HPA point at the Deployment, and kustomize lists them all', () => {
    const [dep] = load('deployment.yaml');
    const [svc] = load('service.yaml');
    const [hpa] = load('hpa.yaml');
    const [kust] = load('kustomization.yaml');
    assert.deepEqual(svc.spec.selector, dep.spec.selector.matchLabels);
    assert.equal(svc.spec.ports[0].targetPort, 'http');
    assert.equal(hpa.spec.scaleTargetRef.name, dep.metadata.name);
    assert.equal(hpa.spec.metrics[0].resource.name, 'cpu');
    assert.deepEqual(kust.resources.sort(), ['deployment.yaml', 'hpa.yaml', 'service.yaml']);
  });

  it('the Dockerfile copies what exists and runs the CLI that the build produces', () => {
    const docker = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    for (const m of docker.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1].split(/\s+/)) assert.ok(fs.existsSync(path.join(ROOT, src)), `COPY ${src}`);
    }
    assert.match(docker, /ENTRYPOINT \["node", "dist\/src\/cli\.js"\]/);
    const build = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    assert.deepEqual(build.include, ['src']);
    assert.ok(fs.existsSync(path.join(ROOT, 'src', 'cli.ts')));
  });
});
