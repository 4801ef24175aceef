package dev.streamfit.serving;

import dev.streamfit.schemas.TopicsAdmin;
import dev.streamfit.serving.internal.HttpApi;
import dev.streamfit.serving.internal.ModelRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving stage: follows {@code models}, keeps the newest verified version active, and answers
 * HTTP: {@code POST /v1/predict} (image bytes in the body; {@code ?k=} top-k), {@code GET /v1/models},
 * {@code GET /healthz}, {@code GET /readyz} (200 once a model is loaded). Thread-safe.
 */
public final class ServingStage implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServingStage.class);
  private final ModelRegistry registry;
  private final HttpApi http;

  private ServingStage(ModelRegistry registry, HttpApi http) {
    this.registry = registry;
    this.http = http;
  }

  /** Creates missing topics, starts following models and listening. */
  public static ServingStage start(ServingConfig config) {
    TopicsAdmin.ensure(config.bootstrapServers(), config.topics(), Duration.ofSeconds(30));
    ModelRegistry registry = new ModelRegistry(config.bootstrapServers(), config.topics());
    HttpApi http;
    try {
      http = new HttpApi(config, registry::active);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + config.host() + ":" + config.port()
          + " (port in use? set --port)", e);
    }
    registry.start();
    http.start();
    LOG.info("serving on http://{}:{}/ (models from {})", config.host(), http.port(), config.topics().models());
    return new ServingStage(registry, http);
  }

  /** The bound HTTP port. */
  public int port() {
    return http.port();
  }

  /** The active model, or null before one loads. */
  public ActiveModel active() {
    return registry.active();
  }

  @Override
  public void close() {
    http.close();
    registry.close();
  }
}
