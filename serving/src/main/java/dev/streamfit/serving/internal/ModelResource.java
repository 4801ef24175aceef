package dev.streamfit.serving.internal;

import dev.streamfit.http.HttpError;
import dev.streamfit.http.Json;
import dev.streamfit.http.Request;
import dev.streamfit.http.Response;
import dev.streamfit.serving.ModelState;
import dev.streamfit.serving.ServingConfig;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The noun {@code model}: {@code GET {prefix}} (the versions, their provenance, rollout labels and live figures),
 * {@code GET {prefix}/{v}}, and the admin verbs {@code POST {prefix}/{v}:activate} (make v stable now, older or
 * not), {@code :promote} and {@code :abort} (the candidate v), {@code :pin} (make v stable and hold it there: new
 * versions wait) and {@code :unpin}. {@code prefix} is {@code /v1/models} for the default model and
 * {@code /v1/models/{name}} for each further model. Admin verbs need the admin token; loopback clients pass without it
 * only when the operator opted in ({@link ServingConfig#loopbackIsAdmin()}). Thread-safe.
 */
final class ModelResource {
  private static final Logger LOG = LoggerFactory.getLogger(ModelResource.class);
  private static final List<String> VERBS = List.of("activate", "promote", "abort", "pin", "unpin");
  private final String prefix;
  private final ServingConfig config;
  private final ModelRegistry registry;
  private final Supplier<List<String>> served;

  ModelResource(String prefix, ServingConfig config, ModelRegistry registry, Supplier<List<String>> served) {
    this.prefix = prefix;
    this.config = config;
    this.registry = registry;
    this.served = served;
  }

  Response handle(Request r) throws Exception {
    String rest = r.path().length() > prefix.length() ? r.path().substring(prefix.length() + 1) : "";
    if (rest.isEmpty()) {
      requireMethod(r, "GET");
      return Json.reply(200, Views.models(registry, served.get()));
    }
    int colon = rest.indexOf(':');
    String verb = colon < 0 ? null : rest.substring(colon + 1);
    long version;
    try {
      version = Long.parseLong(colon < 0 ? rest : rest.substring(0, colon));
    } catch (NumberFormatException e) {
      throw HttpError.notFound("not_found", "no such endpoint: " + r.path() + " (see /openapi.json)");
    }
    if (verb == null) {
      requireMethod(r, "GET");
      ModelState s = registry.version(version);
      if (s == null) {
        throw HttpError.notFound("unknown_version", "no version " + version + " on " + config.topics().models());
      }
      return Json.reply(200, Views.version(s, registry.deployment()));
    }
    if (!VERBS.contains(verb)) {
      throw HttpError.notFound("not_found", "no verb :" + verb + " on a version; verbs: " + VERBS);
    }
    requireMethod(r, "POST");
    boolean admin = config.adminToken() != null && HttpApi.bearer(r, config.adminToken());
    if (!admin && !(config.loopbackIsAdmin() && r.fromLoopback())) {
      throw new HttpError(403, "forbidden", "':" + verb + "' needs the admin token (Authorization: Bearer …)"
          + (config.adminToken() != null ? ""
              : "; none is configured: set STREAMFIT_ADMIN_TOKEN, or start serving with --admin-loopback to let "
                  + "clients on this host make admin calls"));
    }
    if (registry.version(version) == null) {
      throw HttpError.notFound("unknown_version", "no version " + version + " on " + config.topics().models());
    }
    String who = "admin (" + r.remote() + ")";
    switch (verb) {
      case "promote", "abort" -> {
        boolean done = verb.equals("promote") ? registry.promoteCandidate(version, who)
            : registry.abortCandidate(version, who);
        if (!done) {
          ModelHandle c = registry.deployment().candidate();
          throw new HttpError(409, "not_candidate", "v" + version + " is not the candidate; "
              + (c == null ? "there is none" : "the candidate is v" + c.version()));
        }
        LOG.info("{} {}d candidate v{}", who, verb, version);
      }
      case "unpin" -> {
        registry.unpin();
        LOG.info("{} unpinned {}", who, registry.modelName());
      }
      default -> {
        ModelState s = await(verb.equals("pin") ? registry.pin(version) : registry.activate(version), version);
        LOG.info("{} {} v{}", who, verb.equals("pin") ? "pinned" : "activated", s.version());
      }
    }
    return Json.reply(200, Views.models(registry, served.get()));
  }

  private static void requireMethod(Request r, String method) {
    if (!r.method().equals(method)) {
      throw HttpError.methodNotAllowed(r.method(), method);
    }
  }

  private static ModelState await(CompletableFuture<ModelState> f, long version) throws Exception {
    try {
      return f.get(120, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IllegalArgumentException x) {
        throw HttpError.notFound("unknown_version", x.getMessage());
      }
      if (e.getCause() instanceof ModelVerifier.VerificationException x) {
        throw new HttpError(409, x.reason().code(), "version " + version + " fails verification: " + x.getMessage());
      }
      if (e.getCause() instanceof IllegalStateException x) {
        throw new HttpError(409, "not_activated", x.getMessage());
      }
      throw e;
    } catch (TimeoutException e) {
      throw new HttpError(503, "timeout", "still running after 120 s");
    }
  }
}
