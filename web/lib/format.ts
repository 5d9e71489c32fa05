const TZ = 'Asia/Shanghai';

const dateTime = new Intl.DateTimeFormat('zh-CN', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
const time = new Intl.DateTimeFormat('zh-CN', { timeZone: TZ, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

/** Timestamps are stored as timestamptz and always shown in Asia/Shanghai, whatever the browser's zone. */
export function formatDateTime(iso: string | Date): string {
  return dateTime.format(new Date(iso));
}

export function formatTime(iso: string | Date): string {
  return time.format(new Date(iso));
}
