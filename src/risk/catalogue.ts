// Cloudflare's predefined risk behaviors and their configuration on a fresh account.
// imp_travel, high_dlp and sentinel_one (ids, names, descriptions, defaults) are as a real account exports
// them (Terraform `cloudflare_zero_trust_risk_behavior`). The other five are the behaviors Cloudflare's docs
// list (developers.cloudflare.com/cloudflare-one/team-and-resources/users/risk-score/); their API ids and
// default levels are not published, so the ids and levels below are the emulator's own (see README).
import type { RiskLevel } from './levelChanges.js';

export interface BehaviorDefinition {
  id: string;
  name: string;
  description: string;
  risk_level: RiskLevel;
  enabled: boolean;
}

export const BEHAVIORS: readonly BehaviorDefinition[] = [
  {
    id: 'imp_travel',
    name: 'Impossible Travel',
    description:
      'A user had a successful Access application log in from two locations that they could not have traveled to in that period of time.',
    risk_level: 'high',
    enabled: true,
  },
  {
    id: 'high_dlp',
    name: 'High Number of DLP Policies Triggered',
    description: 'User has triggered an active DLP profile in a Gateway policy fifteen times or more within one minute.',
    risk_level: 'medium',
    enabled: true,
  },
  {
    id: 'sentinel_one',
    name: 'SentinelOne Infection Detected',
    description: 'User is signed in on a device where Sentinel One EDR detects an active threat or infection.',
    risk_level: 'medium',
    enabled: false,
  },
  {
    id: 'crowdstrike_low_score',
    name: 'CrowdStrike Low ZTA Security Score',
    description:
      "The user's device reports a CrowdStrike Zero Trust Assessment score (OS, overall or sensor config) from 0 to 50.",
    risk_level: 'high',
    enabled: false,
  },
  {
    id: 'crowdstrike_medium_score',
    name: 'CrowdStrike Medium ZTA Security Score',
    description:
      "The user's device reports a CrowdStrike Zero Trust Assessment score (OS, overall or sensor config) from 50 to 79.",
    risk_level: 'medium',
    enabled: false,
  },
  {
    id: 'malicious_file',
    name: 'Interaction with Malicious File',
    description:
      "User uploaded or downloaded a file that Gateway's antivirus scanning or file sandboxing flagged as malicious, even if it was blocked.",
    risk_level: 'high',
    enabled: false,
  },
  {
    id: 'security_domain',
    name: 'Suspicious Security Domain Visited',
    description:
      'User visited a domain in the security risk or security threat categories (malware, phishing, command and control), even if it was blocked.',
    risk_level: 'high',
    enabled: false,
  },
  {
    id: 'high_risk_domain',
    name: 'High Risk Domain Visited',
    description: 'User visited a domain categorized as questionable content, violence or CIPA, even if it was blocked.',
    risk_level: 'low',
    enabled: false,
  },
];

export const BEHAVIOR_IDS: readonly string[] = BEHAVIORS.map((b) => b.id);

export function behaviorDefinition(id: string): BehaviorDefinition | undefined {
  return BEHAVIORS.find((b) => b.id === id);
}

const RANK: Record<RiskLevel, number> = { low: 0, medium: 1, high: 2 };

/** The higher of two levels. */
export function higher(a: RiskLevel, b: RiskLevel): RiskLevel {
  return RANK[b] > RANK[a] ? b : a;
}
