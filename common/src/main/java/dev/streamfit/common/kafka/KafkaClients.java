package dev.streamfit.common.kafka;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The one way streamfit builds Kafka clients: string keys, byte-array values (records are encoded with
 * {@link dev.streamfit.schemas.AvroSerde} where they are used), the bootstrap address, then the
 * {@link ClientProfile}s in order (a later profile's setting wins). Stateless; the clients it returns are the
 * caller's to close.
 */
public final class KafkaClients {
  private KafkaClients() {}

  /** The configs a client built from {@code bootstrap} and {@code profiles} gets. */
  public static Map<String, Object> configs(String bootstrap, ClientProfile... profiles) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    for (ClientProfile p : profiles) {
      m.putAll(p.configs());
    }
    return m;
  }

  /** A consumer of {@code bootstrap} with {@code profiles}. */
  public static KafkaConsumer<String, byte[]> consumer(String bootstrap, ClientProfile... profiles) {
    return new KafkaConsumer<>(configs(bootstrap, profiles), new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** A producer to {@code bootstrap} with {@code profiles}. */
  public static KafkaProducer<String, byte[]> producer(String bootstrap, ClientProfile... profiles) {
    return new KafkaProducer<>(configs(bootstrap, profiles), new StringSerializer(), new ByteArraySerializer());
  }

  /** An admin client of {@code bootstrap} whose calls time out after {@code timeout}. */
  public static Admin admin(String bootstrap, Duration timeout, ClientProfile... profiles) {
    Map<String, Object> m = configs(bootstrap, profiles);
    m.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    return Admin.create(m);
  }
}
