import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs'
import { dirname } from 'node:path'
import type { Logger } from '@flash-deal/kit'

/**
 * An append-only file of JSON lines, one per change, replayed at start. Each line is written
 * (synchronously) before the API answers, so a killed process loses nothing it acknowledged; it
 * is not fsynced, so a machine crash may lose the last lines — acceptable for a sandbox.
 */
export class FileJournal<Entry> {
  constructor(
    private readonly file: string,
    private readonly logger: Logger,
  ) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  }

  /** Every entry in order. A torn last line (a kill mid-write) is skipped, never fatal. */
  replay(): Entry[] {
    if (!existsSync(this.file)) return []
    const entries: Entry[] = []
    const lines = readFileSync(this.file, 'utf8').split('\n')
    lines.forEach((line, index) => {
      if (line.trim() === '') return
      try {
        entries.push(JSON.parse(line) as Entry)
      } catch {
        this.logger.warn('journal line skipped (unparsable)', { file: this.file, line: index + 1 })
      }
    })
    return entries
  }

  append(entry: Entry): void {
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`)
  }

  /** Replaces the file with these entries (compaction at start), atomically by rename. */
  rewrite(entries: readonly Entry[]): void {
    const scratch = `${this.file}.tmp`
    writeFileSync(scratch, entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''), {
      mode: 0o600,
    })
    renameSync(scratch, this.file)
  }
}
