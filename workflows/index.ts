export { archiveMessage } from './archive-message';
