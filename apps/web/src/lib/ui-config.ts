// Public, non-secret settings the server gives the UI (GET /api/ui-config).
import { useQuery } from '@tanstack/react-query';

export interface UiConfig {
  temporalUiUrl: string;
  namespace: string;
}

export function useUiConfig() {
  return useQuery({
    queryKey: ['ui-config'],
    staleTime: Number.POSITIVE_INFINITY,
    retry: 1,
    queryFn: async (): Promise<UiConfig> => {
      const res = await fetch('/api/ui-config', { headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`ui-config: HTTP ${res.status}`);
      return (await res.json()) as UiConfig;
    },
  });
}

export function temporalWorkflowUrl(cfg: UiConfig, workflowId: string): string {
  return `${cfg.temporalUiUrl}/namespaces/${encodeURIComponent(cfg.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
