package dev.streamfit.serving.internal;

import dev.streamfit.http.Request;
import dev.streamfit.http.Response;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.OffsetRange;
import dev.streamfit.serving.ModelState;
import dev.streamfit.serving.ServingConfig;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/models}: the versions and their provenance, and the admin call {@code POST /v1/models/{v}:activate}
 * (rollback), for the default model; the same under {@code /v1/models/{name}} for each further model served. Admin calls need the admin token; loopback clients pass without it only when the operator opted in
 * ({@link ServingConfig#loopbackIsAdmin()}). Thread-safe.
 */
final class ModelRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(ModelRoutes.class);
  private final String prefix;
  private static final String ACTIVATE = ":activate";
  private final ServingConfig config;
  private final ModelRegistry registry;
  private final java.util.function.Supplier<List<String>> served;

  /** The routes of {@code registry}'s model under {@code prefix} (e.g. {@code /v1/models} or {@code /v1/models/tools}). */
  ModelRoutes(String prefix, ServingConfig config, ModelRegistry registry,
      java.util.function.Supplier<List<String>> served) {
    this.prefix = prefix;
    this.config = config;
    this.registry = registry;
    this.served = served;
  }

  Response handle(Request r) throws Exception {
    String rest = r.path().length() > prefix.length() ? r.path().substring(prefix.length() + 1) : "";
    if (rest.isEmpty()) {
      if (!r.method().equals("GET")) {
        return HttpApi.methodNotAllowed(r, "GET");
      }
      ModelHandle h = registry.peek();
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("model", registry.modelName());
      out.put("served", served.get());
      out.put("activeVersion", h == null ? null : h.version());
      out.put("active", h == null ? null : describe(registry.version(h.version())));
      out.put("versions", registry.versions().stream().map(ModelRoutes::describe).toList());
      return HttpApi.reply(200, out);
    }
    boolean activate = rest.endsWith(ACTIVATE);
    String v = activate ? rest.substring(0, rest.length() - ACTIVATE.length()) : rest;
    long version;
    try {
      version = Long.parseLong(v);
    } catch (NumberFormatException e) {
      return notFound(r);
    }
    if (!activate) {
      if (!r.method().equals("GET")) {
        return HttpApi.methodNotAllowed(r, "GET");
      }
      ModelState s = registry.version(version);
      return s == null ? HttpApi.error(404, "unknown_version", "no version " + version + " on " + config.topics().models())
          : HttpApi.reply(200, describe(s));
    }
    if (!r.method().equals("POST")) {
      return HttpApi.methodNotAllowed(r, "POST");
    }
    boolean admin = config.adminToken() != null && HttpApi.bearer(r, config.adminToken());
    if (!admin && !(config.loopbackIsAdmin() && r.fromLoopback())) {
      return HttpApi.error(403, "forbidden", "activating a version needs the admin token (Authorization: Bearer …)"
          + (config.adminToken() != null ? ""
              : "; none is configured: set STREAMFIT_ADMIN_TOKEN, or start serving with --admin-loopback to let "
                  + "clients on this host activate versions"));
    }
    return activate(version, r);
  }

  private Response activate(long version, Request r) throws Exception {
    try {
      ModelState s = registry.activate(version).get(120, TimeUnit.SECONDS);
      LOG.info("admin ({}) activated v{}", r.remote(), version);
      return HttpApi.reply(200, describe(s));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IllegalArgumentException x) {
        return HttpApi.error(404, "unknown_version", x.getMessage());
      }
      if (e.getCause() instanceof ModelVerifier.VerificationException x) {
        return HttpApi.error(409, x.reason(), "version " + version + " fails verification: " + x.getMessage());
      }
      throw e;
    } catch (TimeoutException e) {
      return HttpApi.error(503, "timeout", "activation still running after 120 s");
    }
  }

  private static Response notFound(Request r) throws IOException {
    return HttpApi.error(404, "not_found", "no such endpoint: " + r.path() + " (see /openapi.json)");
  }

  /** JSON view of a version (no weights). */
  static Map<String, Object> describe(ModelState s) {
    if (s == null) {
      return null;
    }
    ModelVersion v = s.metadata();
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("model", v.getModelName());
    d.put("version", v.getVersion());
    d.put("status", s.status());
    d.put("reason", s.reason());
    d.put("statusChangedAt", s.changedAt().toString());
    d.put("createdAt", v.getCreatedAt().toString());
    d.put("offset", s.offset());
    d.put("sha256", v.getSha256());
    d.put("labels", v.getLabels().stream().map(String::valueOf).toList());
    d.put("input", Map.of("height", v.getInput().getHeight(), "width", v.getInput().getWidth(),
        "channels", v.getInput().getChannels(), "layout", String.valueOf(v.getInput().getLayout()),
        "scaling", String.valueOf(v.getInput().getScaling()), "resize", String.valueOf(v.getInput().getResize())));
    Map<String, Double> m = new LinkedHashMap<>();
    v.getMetrics().forEach((k, val) -> m.put(String.valueOf(k), val));
    d.put("metrics", m);
    var p = v.getProvenance();
    Map<String, Object> prov = new LinkedHashMap<>();
    prov.put("parentVersion", p.getParentVersion());
    prov.put("baseModel", String.valueOf(p.getBaseModel()));
    prov.put("runSeed", p.getRunSeed());
    Map<String, String> cfg = new LinkedHashMap<>();
    p.getConfig().forEach((k, val) -> cfg.put(String.valueOf(k), String.valueOf(val)));
    prov.put("config", cfg);
    prov.put("augmentationSpecHashes", p.getAugmentationSpecHashes().stream().map(String::valueOf).toList());
    prov.put("offsets", p.getOffsets().stream().map(ModelRoutes::range).toList());
    prov.put("steps", p.getSteps());
    prov.put("samplesTrained", p.getSamplesTrained());
    prov.put("commit", p.getCommit() == null ? null : p.getCommit().toString());
    d.put("provenance", prov);
    return d;
  }

  private static Map<String, Object> range(OffsetRange r) {
    return Map.of("topic", String.valueOf(r.getTopic()), "partition", r.getPartition(), "startOffset", r.getStartOffset(),
        "endOffset", r.getEndOffset());
  }
}
