// Public entry of the destination registry: where PHI may go (healthcare organizations, business
// associates, patients), stored in the database and matched by address, domain or subdomain.
export { DestinationRegistry, DestinationImportError, type Destination, type DestinationInput, type RegistryStore } from './registry.js';
export { DestinationError, DESTINATION_KINDS, type DestinationKind, normalizePattern, candidatePatterns, pickMostSpecific, isActive, parseDay, effectiveWindow } from './pattern.js';
export { parseCsv, parseImport, formatProblem, CsvSyntaxError, CSV_COLUMNS, CSV_MAX_BYTES, CSV_MAX_ROWS, type RowProblem, type ImportRow } from './csv.js';
