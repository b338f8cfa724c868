// 数据导入: the district administrator imports areas, buildings, roads and service centres
// within their district (POST /api/import does the work; this page loads the choices).
import { sql } from 'kysely';
import { pageLoad } from '$lib/server/api/page';
import { accountRole } from '$lib/server/api/guards';
import { roleLabel } from '$lib/server/admin/queries';
import { BUILT_IN } from '$lib/server/import/mapping';
import { uploadLimit } from '$lib/server/import/upload';

export const load = pageLoad({ guard: accountRole('district_admin'), tx: 'none' }, async ({ caller: user, db, event }) => {
	event.setHeaders({ 'cache-control': 'no-store' });
	const { rows } = await sql<{ name: string; layer: string }>`select name, layer from import_profile order by name`.execute(db.kysely);
	return {
		me: { username: user.username, displayName: user.displayName, roleLabel: roleLabel(user.role) },
		area: user.areaCode,
		profiles: [...BUILT_IN.map((p) => ({ name: p.name, layer: p.layer })), ...rows],
		uploadMb: Math.round(uploadLimit() / 1048576)
	};
});
