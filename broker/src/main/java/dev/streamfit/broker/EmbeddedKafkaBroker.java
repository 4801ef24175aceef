package dev.streamfit.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker (KRaft, combined broker+controller, one node) running inside this JVM on
 * loopback. Storage lives in a fresh directory per instance and is deleted on {@link #close()} unless
 * the caller supplied it.
 *
 * <p>Every internal topic uses replication factor 1 and transaction-state min.isr 1; without that a
 * single node silently hangs on group coordination and transactions (exactly-once Kafka Streams).
 *
 * <p>Not thread-safe for start/close; the broker itself serves any number of clients.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

  private final Path logDir;
  private final boolean ownsLogDir;
  private final int port;
  private final int controllerPort;
  private final Map<String, String> overrides;
  private final ClusterNode node;
  private KafkaRaftServer server;

  private EmbeddedKafkaBroker(Path logDir, boolean ownsLogDir, int port, Map<String, String> overrides) {
    this.logDir = logDir;
    this.ownsLogDir = ownsLogDir;
    this.port = port == 0 ? freePort() : port;
    this.controllerPort = freePort();
    this.overrides = Map.copyOf(overrides);
    this.node = null;
  }

  private EmbeddedKafkaBroker(ClusterNode node) {
    this.logDir = node.logDir();
    this.ownsLogDir = false;
    this.port = node.port();
    this.controllerPort = node.controllerPort();
    this.overrides = Map.of();
    this.node = node;
  }

  /**
   * One node of a multi-node KRaft cluster (combined broker+controller) whose voters are listed statically.
   * Immutable.
   *
   * @param nodeId this node's id, one of the voters
   * @param port client port on 127.0.0.1
   * @param controllerPort controller port on 127.0.0.1
   * @param voters {@code controller.quorum.voters}, e.g. {@code 1@127.0.0.1:19093,2@127.0.0.1:19193,3@127.0.0.1:19293}
   * @param clusterId the cluster id every node formats its storage with
   * @param logDir storage; kept on close, so a restarted node rejoins with its data
   * @param clusterSize number of nodes: internal topics get this replication and min ISR {@code size - 1}
   */
  public record ClusterNode(int nodeId, int port, int controllerPort, String voters, String clusterId, Path logDir,
      int clusterSize) {}

  /** Starts one node of a multi-node cluster; close stops it and keeps its storage. */
  public static EmbeddedKafkaBroker startNode(ClusterNode node) {
    try {
      Files.createDirectories(node.logDir());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + node.logDir(), e);
    }
    EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(node);
    broker.startup();
    return broker;
  }

  /** Starts a broker on a free loopback port with a temporary log directory. */
  public static EmbeddedKafkaBroker start() {
    return start(0, Map.of());
  }

  /**
   * Starts a broker.
   *
   * @param port client port on 127.0.0.1, 0 for a free one
   * @param overrides broker config overrides (applied last)
   */
  public static EmbeddedKafkaBroker start(int port, Map<String, String> overrides) {
    return start(port, overrides, null);
  }

  /**
   * Starts a broker whose temporary log directory is created under {@code parent} (null: the system's
   * temporary directory), e.g. a tmpfs such as {@code /dev/shm} to keep disk writeback out of a benchmark.
   */
  public static EmbeddedKafkaBroker start(int port, Map<String, String> overrides, Path parent) {
    Path dir;
    try {
      dir = parent == null ? Files.createTempDirectory("streamfit-kafka-")
          : Files.createTempDirectory(parent, "streamfit-kafka-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create broker log dir", e);
    }
    EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dir, true, port, overrides);
    broker.startup();
    return broker;
  }

  /** {@code host:port} for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  Properties config() {
    Properties p = new Properties();
    p.put("node.id", "1");
    p.put("process.roles", "broker,controller");
    p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.put("log.dirs", logDir.toString());
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "4");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("min.insync.replicas", "1");
    p.put("default.replication.factor", "1");
    p.put("num.partitions", "2");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("auto.create.topics.enable", "false");
    p.put("message.max.bytes", String.valueOf(128 * 1024 * 1024 + 1024));
    p.put("replica.fetch.max.bytes", String.valueOf(128 * 1024 * 1024 + 1024));
    p.put("socket.request.max.bytes", String.valueOf(256 * 1024 * 1024));
    p.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
    p.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "4");
    if (node != null) {
      String rf = String.valueOf(node.clusterSize());
      String minIsr = String.valueOf(Math.max(1, node.clusterSize() - 1));
      p.put("node.id", String.valueOf(node.nodeId()));
      p.put("controller.quorum.voters", node.voters());
      for (String k : new String[] {"offsets.topic.replication.factor", "transaction.state.log.replication.factor",
          "share.coordinator.state.topic.replication.factor", "default.replication.factor"}) {
        p.put(k, rf);
      }
      for (String k : new String[] {"transaction.state.log.min.isr", "share.coordinator.state.topic.min.isr",
          "min.insync.replicas"}) {
        p.put(k, minIsr);
      }
    }
    p.putAll(overrides);
    return p;
  }

  private void startup() {
    long t0 = System.nanoTime();
    Properties props = config();
    try {
      Path propsFile = logDir.resolveSibling(logDir.getFileName() + ".properties");
      try (OutputStream out = Files.newOutputStream(propsFile)) {
        props.store(out, "streamfit embedded broker");
      }
      ByteArrayOutputStream log = new ByteArrayOutputStream();
      int rc;
      try (PrintStream ps = new PrintStream(log, true, StandardCharsets.UTF_8)) {
        rc = StorageTool.execute(new String[] {
            "format", "-t", node != null ? node.clusterId() : Uuid.randomUuid().toString(), "-c", propsFile.toString(),
            "--ignore-formatted"}, ps);
      }
      Files.deleteIfExists(propsFile);
      if (rc != 0) {
        throw new IllegalStateException("kafka storage format failed (" + rc + "): " + log.toString(StandardCharsets.UTF_8));
      }
      server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
      server.startup();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start embedded kafka in " + logDir, e);
    } catch (RuntimeException e) {
      deleteQuietly();
      throw e;
    }
    LOG.info("embedded Kafka broker (KRaft) up at {} in {} ms, logs in {}", bootstrapServers(),
        (System.nanoTime() - t0) / 1_000_000, logDir);
  }

  @Override
  public void close() {
    if (server != null) {
      try {
        server.shutdown();
        server.awaitShutdown();
      } catch (RuntimeException e) {
        LOG.warn("embedded broker shutdown: {}", e.toString());
      }
      server = null;
    }
    if (ownsLogDir) {
      deleteQuietly();
    }
  }

  private void deleteQuietly() {
    try (Stream<Path> walk = Files.walk(logDir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.debug("cannot delete {}: {}", logDir, e.toString());
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port", e);
    }
  }
}
