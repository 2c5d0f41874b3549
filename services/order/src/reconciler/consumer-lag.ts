import type { Kafka } from '@flash-deal/kit/kafka'

/** Records of a topic a consumer group has not committed yet, read with a Kafka admin client. */
export class ConsumerLag {
  private readonly admin
  private connected: Promise<void> | undefined

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    private readonly groupId: string,
  ) {
    this.admin = kafka.admin()
  }

  /** The lag over all partitions; a partition the group never committed counts from its start. */
  async read(): Promise<number> {
    // Connected on first use, and again after a failed connect.
    this.connected ??= this.admin.connect().catch((error) => {
      this.connected = undefined
      throw error
    })
    await this.connected
    const [ends, committed] = await Promise.all([
      this.admin.fetchTopicOffsets(this.topic),
      this.admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] }),
    ])
    const committedBy = new Map(
      (committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
    )
    return ends.reduce((lag, end) => {
      const at = committedBy.get(end.partition) ?? -1
      return lag + Number(end.high) - (at >= 0 ? at : Number(end.low))
    }, 0)
  }

  close() {
    return this.admin.disconnect()
  }
}
