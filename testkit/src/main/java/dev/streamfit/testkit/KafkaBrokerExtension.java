package dev.streamfit.testkit;

import dev.streamfit.broker.EmbeddedKafkaBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * Provides a {@link KafkaBroker} parameter backed by one real broker shared by every test class of the
 * JVM (stored in the root extension context, closed when the JVM's test plan ends).
 *
 * <p>System property {@code kafka.test.broker}: {@code embedded} (in-process KRaft broker),
 * {@code testcontainers} (Testcontainers {@code KafkaContainer}, image {@code kafka.test.image},
 * default {@code apache/kafka:4.1.0}), or {@code auto} (default: Testcontainers when a Docker daemon
 * answers, else embedded).
 */
public final class KafkaBrokerExtension implements ParameterResolver {
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(KafkaBrokerExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    return p.getParameter().getType() == KafkaBroker.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) throws ParameterResolutionException {
    return e.getRoot().getStore(NS).getOrComputeIfAbsent("broker", k -> startBroker(), Holder.class).broker;
  }

  static String mode() {
    String m = System.getProperty("kafka.test.broker", "auto");
    m = m == null || m.isBlank() ? "auto" : m.trim().toLowerCase(Locale.ROOT);
    if (m.equals("auto")) {
      return dockerAvailable() ? "testcontainers" : "embedded";
    }
    if (!m.equals("embedded") && !m.equals("testcontainers")) {
      throw new IllegalArgumentException("kafka.test.broker must be embedded, testcontainers or auto, was '" + m + "'");
    }
    return m;
  }

  private static boolean dockerAvailable() {
    // Ask Testcontainers only where a daemon could be: without one it logs an ERROR with every strategy tried.
    boolean socket = Files.exists(Path.of("/var/run/docker.sock"))
        || System.getenv("DOCKER_HOST") != null
        || (System.getenv("XDG_RUNTIME_DIR") != null
            && Files.exists(Path.of(System.getenv("XDG_RUNTIME_DIR"), "docker.sock")))
        || Files.exists(Path.of(System.getProperty("user.home"), ".testcontainers.properties"));
    if (!socket) {
      return false;
    }
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  private static Holder startBroker() {
    preloadNatives();
    if (mode().equals("testcontainers")) {
      KafkaContainer c = new KafkaContainer(System.getProperty("kafka.test.image", "apache/kafka:4.1.0"));
      c.start();
      return new Holder(new Running(c.getBootstrapServers(), "testcontainers"), c::stop);
    }
    EmbeddedKafkaBroker b = EmbeddedKafkaBroker.start();
    return new Holder(new Running(b.bootstrapServers(), "embedded"), b::close);
  }

  /**
   * Loads the stages' native libraries on this thread before the broker's threads start, as the product's
   * entry points do (see {@code dev.streamfit.engine.Natives}): a library {@code dlopen}ed while other
   * threads are created can deadlock the JVM. Reflective, because the modules that have natives depend on
   * this one; a module without them on its test classpath skips it.
   */
  static void preloadNatives() {
    for (String owner : new String[] {"dev.streamfit.engine.Natives", "dev.streamfit.imaging.ImagingNatives"}) {
      try {
        Class.forName(owner).getMethod("load").invoke(null);
        return;
      } catch (ClassNotFoundException e) {
        // not on this module's test classpath: try the next
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot load native libraries through " + owner + ": " + e.getCause(), e);
      }
    }
  }

  private record Running(String bootstrapServers, String kind) implements KafkaBroker {}

  @SuppressWarnings("deprecation") // CloseableResource for JUnit before 5.13; AutoCloseable after
  private record Holder(KafkaBroker broker, Runnable stopper)
      implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    @Override
    public void close() {
      stopper.run();
    }
  }
}
